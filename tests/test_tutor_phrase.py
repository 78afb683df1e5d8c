"""tutor.phrase: specific, varied words without a model: the student's own numbers said back, the misconception's
probe used, no tutor sentence repeated in a dialogue, four variants per move, short questions."""

from __future__ import annotations

import re

import pytest

from knowledge.bank import load_bank_dir, load_starter
from knowledge.trees import tree_for
from knowledge.types import Problem
from tutor import TutorSession, TutorSettings
from tutor.examples import example_code
from tutor.phrase import generic, norm, said_sentences, sentences, template
from tutor.phrasebook import AFTER_BOTTOM_OUT, FEEDBACK, FINAL_ASK, GENERICS, PROBE_ASK, SUCCESS, UNSURE, VOICE
from tutor.planner import Plan
from tutor.quoting import Heard, wrong_step
from tutor.state import KnowledgeState


@pytest.fixture(scope="module")
def jacket() -> Problem:
    return next(p for p in load_bank_dir() if p.id == "math-jacket-two-discounts")


def _session(problem: Problem) -> TutorSession:
    return TutorSession.start(problem, TutorSettings(max_turns=50), backend=None)


def test_the_adds_percents_student_hears_their_52_and_the_misconceptions_probe(jacket):
    s = _session(jacket)
    text = "".join(s.reply("is it 52 dollars? 25+10 is 35% off"))
    t = s.last
    assert t.diagnosis and t.diagnosis[0].malgorithm_id.endswith("adds-percents")
    assert "52" in text  # their own number, said back
    assert "What operation connects" not in text and "Which operation connects" not in text
    assert t.move == "probing" and "its probe" in t.reason
    assert "28" not in text  # the probe's value, which the student never said
    assert "adds the percentages" not in text  # the label stays in the trace


def test_a_right_value_is_said_back_with_what_it_is(jacket):
    s = _session(jacket)
    text = "".join(s.reply("25% of 80 is 20"))
    assert s.last.outcome == "right"
    assert re.search(r"\b20\b.*first discount|first discount.*\b20\b", text), text


def test_no_tutor_sentence_repeats_in_a_long_dialogue(jacket):
    s = _session(jacket)
    said = {norm(x) for x in sentences(s.opening)}
    messages = [
        "52",
        "is it 52?",
        "I'm stuck",
        "45",
        "I don't know",
        "52 again",
        "25",
        "Hmm, 30?",
        "I'm stuck",
        "20",
        "60",
        "I'm not sure",
        "56",
        "6",
        "I'm stuck",
    ]
    repeats = []
    for m in messages:
        if s.done:
            break
        reply = "".join(s.reply(m))
        repeats += [x for x in sentences(reply) if norm(x) in said]
        said |= {norm(x) for x in sentences(reply)}
    assert not repeats, repeats


def test_four_variants_per_move_and_short_questions():
    for key in (
        "right",
        "wrong",
        "stuck",
        "question",
        "redirect",
        "off_topic",
        "greeting",
        "none",
        "partly",
        "given",
        "unsure",
    ):
        assert len(set(FEEDBACK[key])) >= 4, key
    for key, options in VOICE.items():
        assert len(set(options)) >= 4, key
    for table in (SUCCESS, FINAL_ASK, AFTER_BOTTOM_OUT, UNSURE):
        assert all(len(set(v)) >= 4 for v in table.values())
    assert len(PROBE_ASK) >= 4


def test_bank_questions_are_at_most_35_words():
    """Every question sentence (a hint may add a statement before it, e.g. the bug's concept) has <= 35 words."""
    long = []
    for p in load_bank_dir():
        tree = p.tree if p.tree is not None else __import__("knowledge").derive_tree(p)
        for node in tree.nodes:
            for depth in ("focus", "probing", "hint"):
                long += [x for q in node.questions.at(depth) for x in sentences(q) if "?" in x and len(x.split()) > 35]
    assert not long, long[:3]


def test_code_nodes_have_four_variants_per_depth():
    code = next(p for p in load_bank_dir() if p.domain == "code")
    for node in __import__("knowledge").derive_tree(code).nodes:
        for depth in ("focus", "probing", "hint", "bottom_out"):
            assert len(set(node.questions.at(depth))) >= 4, (node.id, depth)


def test_the_last_resort_question_is_not_repeated_either():
    said = said_sentences([GENERICS[0]])
    assert generic(said) != GENERICS[0] and generic(set()) == GENERICS[0]


def test_the_students_own_wrong_step_is_said_back_in_words(jacket):
    assert wrong_step(["25+10="], jacket) == "adding 25 and 10"
    assert wrong_step(["80 * 0.25=20"], jacket) == ""  # a step of the solution is not restated
    s = _session(jacket)
    text = "".join(s.reply("is it 52 dollars? 25+10 is 35% off"))
    assert "adding 25 and 10" in text and "52" in text


def test_partial_progress_is_acknowledged_with_both_numbers(jacket):
    tree = tree_for(jacket)
    state = KnowledgeState.for_tree(tree, list(jacket.skills))
    plan = Plan(
        kind="question", node_id="s1-concept", move="probing", depth="probing", reason="partly", feedback="partly"
    )
    note = "You have 20 right, but 52 is not right yet."
    both = template(plan, jacket, tree, state, 1, note, heard=Heard(right=["20"], wrong=["52"]))
    assert "20" in both and "52" in both and both.count("52") == 1
    assert not any(p in both for p in ("Exactly", "well done", "Well done"))
    only_wrong = template(plan, jacket, tree, state, 1, note, heard=Heard(wrong=["52"]))
    assert note in only_wrong and only_wrong.count("52") == 1


@pytest.mark.parametrize(
    "message",
    [
        "I tried remove_negatives([4, -5]) and something odd happens.",
        "I think it has to do with the loop and the list [4, -5].",
    ],
)
def test_numbers_in_a_code_message_are_quoted_never_offered_as_candidate_answers(message: str) -> None:
    """The tutor said "I can't tell yet which of 4 and -5 is your result" of a test call the student quoted."""
    p = next(x for x in load_starter() if x.id == "code-remove-negatives")
    s = TutorSession.start(p, TutorSettings(max_turns=40), backend=None)
    reply = "".join(s.reply(message))
    assert not any(t.format(v="4 and -5") in reply for t in VOICE["unsure"]), reply
    assert "4 and -5" in reply  # said back as the student's own


@pytest.mark.parametrize(
    "problem", [example_code(), *[p for p in load_starter() if p.id == "code-sum-up-to"]], ids=lambda p: p.id
)
def test_an_unsure_reply_on_code_asks_for_a_call_or_a_line_never_a_number(problem):
    """Was "I can't check that yet, so let's pin it down with a number." on code too: code claims are checked by
    what a call returns or which line it is, so that is what the reply asks for; no sentence is said twice."""
    s = _session(problem)
    said = {norm(x) for x in sentences(s.opening)}
    unsure = 0
    for m in [
        "It returns something weird.",
        "It does the wrong thing with the numbers.",
        "It returns something weird.",
        "Something in it is off.",
        "It returns something weird.",
    ]:
        reply = "".join(s.reply(m))
        if s.last.judgement == "unsure" and s.last.outcome != "stuck":
            unsure += 1
            assert reply.startswith(UNSURE["code"]), reply
        assert "number" not in sentences(reply)[0].lower(), reply
        assert not [x for x in sentences(reply) if norm(x) in said], reply
        said |= {norm(x) for x in sentences(reply)}
    assert unsure >= 2
