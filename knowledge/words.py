"""English stop words, in one place: the words that carry no content of their own in a tutor's or a student's sentence.

- `FUNCTION_WORDS`: articles, auxiliaries, conjunctions, prepositions, the first and second person and wh-words. The
  simulator's node mapping (`simulator.mapping.content_words`) drops these and keeps the rest: "not", "but",
  "because", "than" and "he/she/they" can tell one node's wording from another's.
- `STOP_WORDS`: those and a few more ("not", "but", "because", "than", "too", "he", "she", "they", ...), for readers
  that only look for a text's content words (`tutor.understand`, `evals.reveal`).

Each reader adds the words of its own trade to these (chat fillers, arithmetic words, ...) where it reads them,
written with `word_set`.
"""

from __future__ import annotations


def word_set(text: str) -> frozenset[str]:
    """The words of `text`, split at white space: a word table written as one string."""
    return frozenset(text.split())


FUNCTION_WORDS = word_set(
    "a an and are as at be by can could did do does for from has have i if in is it its me my of on or so that "
    "the then there this to was we were what when which who will with would you your"
)
STOP_WORDS = FUNCTION_WORDS | word_set("because been but had he here just not she should than they too")
