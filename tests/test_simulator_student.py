"""StudentSession: openings, replies decided from the state, modes, seeded reproducibility, LLM voicing."""

from __future__ import annotations

import re

import pytest

from inference.fake import FakeBackend, NoneBackend
from knowledge.numbers import parse_numbers
from simulator import StudentSession, builtin
from simulator.templates import EXTRACTION
from simulator.types import Persona
from tests.problems import jacket_problem, sum_problem
from vocabulary import PERSONA_MODES


def start(problem=None, mode="typical", seed=0, **kw) -> StudentSession:
    return StudentSession.start(problem or jacket_problem(), builtin(mode), seed=seed, use_embeddings=False, **kw)


def script(session: StudentSession) -> list[str]:
    """A fixed tutor script: generic opener, then each node's focus and probing question."""
    msgs = ["Hi, can you talk me through your solution?"]
    for node in session.tree.nodes:
        msgs += [node.questions.focus[0], node.questions.probing[0]]
    return msgs


def run(session: StudentSession, messages: list[str]) -> list[str]:
    return [session.opening] + [session.respond(m) for m in messages]


def has(text: str, value: float) -> bool:
    return any(abs(x - value) < 1e-6 for x in parse_numbers(text))


@pytest.mark.parametrize("mode", PERSONA_MODES)
def test_opening_carries_the_assigned_wrong_value(mode: str) -> None:
    problem = jacket_problem()
    for m in problem.malgorithms:
        s = start(problem, mode, malgorithm_id=m.id)
        assert s.malgorithm_id == m.id
        assert has(s.opening, m.wrong_answer), s.opening
        assert not has(s.opening, problem.answer)
        assert s.events[0].kind == "opening" and s.events[0].value == m.wrong_answer


def test_code_opening_submits_the_wrong_fix() -> None:
    problem = sum_problem()
    for m in problem.malgorithms:
        s = start(problem, malgorithm_id=m.id)
        block = re.search(r"```python\n(.*?)```", s.opening, re.S)
        assert block and block.group(1) == m.wrong_code
        assert s.last_code == m.wrong_code and not s.solved


def test_default_malgorithm_is_a_seeded_choice() -> None:
    problem = jacket_problem()
    chosen = {start(problem, seed=seed).malgorithm_id for seed in range(30)}
    assert chosen == {m.id for m in problem.malgorithms}
    assert start(problem, seed=7).malgorithm_id == start(problem, seed=7).malgorithm_id


def test_unknown_malgorithm_id_is_an_error() -> None:
    with pytest.raises(ValueError, match="has no malgorithm"):
        start(malgorithm_id="nope")


def test_persona_defaults_to_the_problem_profile() -> None:
    s = StudentSession.start(jacket_problem(), seed=0, use_embeddings=False)
    assert s.persona.name == "Mariana" and s.persona.grade == 7


def test_no_self_correction_without_teaching() -> None:
    for seed in range(10):
        s = start(seed=seed)
        wrong = s.malgorithm.wrong_answer
        before = s.hidden_state.model_copy(deep=True)
        for msg in ["Hi, can you talk me through your solution?", "Thanks.", "Okay, and then?", "Good effort so far."]:
            reply = s.respond(msg)
            assert not has(reply, 54)
        assert has(s.turns[1].text, wrong)
        assert s.hidden_state == before and not s.solved


def test_step_answers_follow_the_state() -> None:
    s = start(malgorithm_id="sim-jacket-percent-as-dollars", mode="typical")
    tree = s.tree
    # step 0 (25% of 80) is misconceived: the student answers the malgorithm's wrong value, not 20
    s.persona = Persona(resistance=1.0)
    reply = s.respond(tree.node("s0-value").questions.focus[0])
    assert has(reply, 25) and not has(reply, 20)
    # a question about a later step it has not reached yet: it still answers from the wrong path (55, not 60)
    reply = s.respond(tree.node("s1-value").questions.focus[0])
    assert has(reply, 55) and not has(reply, 60)
    # telling the root resolves it (recorded as told); the later wrong values only followed from it, so the
    # student redoes the problem and states the final answer, which it was not told
    reply = s.respond("No: 25% of 80 is not 25. 80 * 0.25 = 20, so the first discount is 20 dollars.")
    assert has(reply, 54)
    assert s.hidden_state.node("s0-value").resolved_by == "told"
    assert s.hidden_state.node("s1-value").resolved_by == "follows"
    assert "s0-value" in s.told_nodes and "s1-value" not in s.told_nodes
    assert s.solved and not s.told


def test_dialogue_ends_in_the_right_answer_when_taught() -> None:
    s = start(seed=3)
    s.persona = Persona(resistance=0.0)
    for msg in script(s):
        s.respond(msg)
        if s.solved:
            break
    assert s.solved and not s.told
    assert has(s.turns[-1].text, 54)
    assert any(e.kind == "solved" for e in s.events)
    assert s.hidden_state.all_known


def test_telling_the_final_answer_counts_as_told() -> None:
    s = start(seed=1)
    reply = s.respond("The answer is 54 dollars.")
    assert has(reply, 54) and s.solved and s.told
    assert all(n.resolved_by in ("told", None) for n in s.hidden_state.nodes if n.resolved_by)


@pytest.mark.parametrize("mode", PERSONA_MODES)
def test_same_seed_same_dialogue(mode: str) -> None:
    a, b = start(mode=mode, seed=11), start(mode=mode, seed=11)
    assert run(a, script(a)) == run(b, script(b))
    assert a.events == b.events and a.hidden_state == b.hidden_state


def test_same_seed_same_dialogue_with_fake_backend() -> None:
    def voiced(seed: int) -> tuple[list[str], list]:
        fake = FakeBackend().enqueue(*["Um, I think it's like that."] * 40)
        s = start(seed=seed, backend=fake)
        return run(s, script(s)), [m[-1].content for m in fake.history]

    assert voiced(5) == voiced(5)


def test_different_seeds_give_different_dialogues() -> None:
    dialogues = set()
    for seed in range(12):
        s = start(seed=seed)
        dialogues.add(tuple(run(s, script(s))))
    assert len(dialogues) > 3


def test_quiet_students_write_less() -> None:
    problem = jacket_problem()
    typical_len = quiet_len = 0
    for seed in range(6):
        for mode in ("typical", "quiet"):
            s = start(problem, mode, seed=seed, malgorithm_id="sim-jacket-adds-percents")
            total = sum(len(t) for t in run(s, script(s)[:6]))
            if mode == "quiet":
                quiet_len += total
            else:
                typical_len += total
    assert quiet_len < 0.6 * typical_len


def test_confused_students_hold_on_longer() -> None:
    def turns_to_solve(mode: str, seed: int) -> int:
        s = start(mode=mode, seed=seed, malgorithm_id="sim-jacket-stops-at-discount")
        node = s.tree.node("s3-value")
        for k in range(1, 60):
            s.respond(node.questions.probing[k % 2])
            if s.solved:
                return k
        return 60

    typical = sum(turns_to_solve("typical", seed) for seed in range(40))
    confused = sum(turns_to_solve("confused", seed) for seed in range(40))
    assert confused > typical


def test_adversarial_students_send_extraction_attempts() -> None:
    attempts = []
    tactics = set()
    all_templates = {t for group in EXTRACTION.values() for t in group}
    for seed in range(8):
        s = start(mode="adversarial", seed=seed)
        texts = run(s, script(s)[:8])
        for turn in s.turns:
            if turn.content.kind == "extraction":
                assert turn.text in all_templates
                attempts.append(turn.text)
                tactics.add(turn.content.tactic)
        assert s.extraction_attempts == sum(1 for e in s.events if e.kind == "extraction_attempt")
        assert texts[0] == s.opening
    assert len(attempts) >= 10 and len(tactics) >= 3
    typical = start(mode="typical", seed=0)
    run(typical, script(typical))
    assert typical.extraction_attempts == 0


def test_llm_phrasing_accepted_when_faithful() -> None:
    fake = FakeBackend().enqueue("honestly I just got 52 bucks for it")
    s = start(seed=0, malgorithm_id="sim-jacket-adds-percents", backend=fake)
    assert s.opening == "honestly I just got 52 bucks for it"
    assert s.turns[0].used_llm and s.turns[0].verdict.ok
    system, user = (m.content for m in fake.history[0])
    assert "<draft>" in user and "52" in user and fake.options[0].actor == "student"


@pytest.mark.parametrize(
    "llm_text",
    [
        "",  # empty queue behaviour of the fake
        "I got 54 dollars.",  # changes the decided value
        "Let's think about this together. What did you get? 52",  # speaks as a tutor
        "As an AI language model, I got 52.",  # mentions being an AI
        "It's 52, and I also think 17 is important.",  # introduces a number
    ],
)
def test_llm_phrasing_rejected_falls_back_to_template(llm_text: str) -> None:
    fake = FakeBackend().enqueue(llm_text)
    s = start(seed=0, malgorithm_id="sim-jacket-adds-percents", backend=fake)
    template = start(seed=0, malgorithm_id="sim-jacket-adds-percents").opening
    assert s.opening == template
    assert not s.turns[0].used_llm and not s.turns[0].verdict.ok


def test_none_backend_uses_templates_without_calling() -> None:
    s = start(backend=NoneBackend())
    s.respond("How much is the first discount?")
    assert all(t.verdict is None and not t.used_llm for t in s.turns)


def test_code_replies_keep_code_verbatim_even_with_an_llm() -> None:
    fake = FakeBackend().enqueue("so I changed line 3, here it is")
    s = start(sum_problem(), malgorithm_id="sim-sum-up-to-moves-start-only", backend=fake)
    assert s.opening.startswith("so I changed line 3, here it is\n```python\n")
    assert s.malgorithm.wrong_code in s.opening
    # prose that drops the line number, or writes code itself, is rejected
    for bad in ("so I changed the loop", "I changed line 3:\n```python\nprint(1)\n```"):
        s = start(sum_problem(), malgorithm_id="sim-sum-up-to-moves-start-only", backend=FakeBackend().enqueue(bad))
        assert not s.turns[0].used_llm and s.opening.count("```python") == 1


def test_snapshot_is_json_ready() -> None:
    import json

    s = start()
    s.respond("How much is 25% of 80?")
    data = json.loads(json.dumps(s.snapshot()))
    assert data["malgorithm_id"] == s.malgorithm_id
    assert len(data["hidden_state"]["nodes"]) == len(s.tree.nodes)
