"""knowledge.words: the one home of English stop words."""

from __future__ import annotations

from knowledge.words import FUNCTION_WORDS, STOP_WORDS, word_set


def test_word_set_splits_a_table_written_as_one_string() -> None:
    assert word_set("a an\n the ") == frozenset({"a", "an", "the"})


def test_stop_words_are_the_function_words_and_a_few_more() -> None:
    assert FUNCTION_WORDS < STOP_WORDS
    assert {"the", "of", "is", "you", "what"} <= FUNCTION_WORDS
    assert {"not", "but", "because", "than"} <= STOP_WORDS - FUNCTION_WORDS
    assert not {"apples", "numerator", "total", "loop"} & STOP_WORDS
