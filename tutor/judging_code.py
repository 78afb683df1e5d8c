"""Step 2 for code: judge the student's message and update the knowledge state from it.

Code is judged by running it, and words by what they claim (tutor.codecheck, tutor.codewords), never by keywords:
- submitted code runs against the unit tests in the sandbox (or the run recorded for this turn is replayed):
  all pass -> `solved`; a failure -> `wrong`, with the failing tests' description and a diagnosis;
- a claim about the buggy program's behaviour, a named line, or a call / fix / fact in words is checked against
  what the code really does: right resolves the node, wrong is a failed attempt, a claim that cannot be checked is
  `unsure` (the second in a row on one node counts as stuck);
- a stuck message, a question or a hedge earns no credit, unless it carries a checked claim;
- a true fact that is no step of the tree (which tests pass, what another line does, arithmetic: tutor.codefacts)
  makes the verdict `right` without resolving a node; a false one is a failed attempt;
- code that is the buggy program with prints added (sent to look at it, not as a fix) is no submission unless the
  message says it works: its words are judged.
The verdict (`Evidence.judgement`) is the outcome read as right / wrong where the checks did not set it.
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.types import Problem, QuestionTree
from tutor import codecheck, codefacts, codewords
from tutor.judging import Diagnose
from tutor.planner import Evidence
from tutor.sandbox import SandboxLimits, TestRun
from tutor.state import AttemptWrong, KnowledgeState, NodeResolved, Solved, Stuck, ValuesProduced
from tutor.types import Judgement, TurnTrace
from tutor.understand import Understanding
from tutor.verify import MathCheck, ValueMatch, check_code, check_math, diagnose_code, node_value

# the outcome read as a verdict, where the checks left it `none`
_JUDGEMENT_OF: dict[str, Judgement] = {"solved": "right", "right": "right", "wrong": "wrong"}


@dataclass
class CodeTurn:
    """What step 2 concluded from one message on a code problem: the planner's evidence and the sandbox run."""

    evidence: Evidence
    tests: TestRun | None = None


@dataclass
class CodeJudge:
    """One message on a code problem, judged and appended to the state (see the module's docstring)."""

    understanding: Understanding
    problem: Problem
    tree: QuestionTree
    state: KnowledgeState
    turn: int
    current: str | None
    sandbox: SandboxLimits
    diagnose: Diagnose
    last: TurnTrace | None = None  # the previous turn (two unsure claims in a row on one node count as stuck)
    code: str = ""  # the submitted code: the message's, unless sent only to look (codefacts.looking)
    verified: bool = False  # a true fact that is no step of the tree was found (codefacts.judge_facts)
    edited: bool = False  # the student has sent a program of their own before (codefacts.edited)

    def judge(self, recorded: TestRun | None = None) -> CodeTurn:
        u = self.understanding
        self.code = u.code
        if codefacts.looking(u.code, u.text, self.problem):
            self.code = ""  # prints added to look at the program, no fix: what the message says is judged
        self.edited = codefacts.edited(self.state.produced_code_lines(), self.problem)
        evidence, tests = self._judge(None if not self.code else recorded)
        if evidence.judgement == "none":
            evidence.judgement = _JUDGEMENT_OF.get(evidence.outcome, "none")
        if self.verified and evidence.judgement in ("none", "unsure") and evidence.outcome != "wrong":
            evidence.judgement = "right"
        return CodeTurn(evidence=evidence, tests=tests)

    def _facts(self) -> codecheck.CodeVerdict | None:
        text = self.understanding.text
        calls = [src for _, src in codewords.calls(text, self.problem)]
        node = self.tree.node(self.current) if self.current else None
        off_behaviour = node is not None and node.kind != "behaviour"  # there judge_behaviour is the node's own check
        return codefacts.judge_facts(
            text, self.problem, self.sandbox, calls, tests=not self.edited, behaviour=off_behaviour
        )

    def _judge(self, recorded: TestRun | None) -> tuple[Evidence, TestRun | None]:
        understanding, state, turn, current = self.understanding, self.state, self.turn, self.current
        evidence = Evidence(node_id=current)
        produced = [r for n in understanding.numbers if n.kind != "computed" for r in n.readings()]
        code_lines = [line.strip() for line in understanding.code.splitlines() if line.strip()]
        code = self.code
        if produced or code_lines:
            state.append(ValuesProduced(turn=turn, values=produced, code_lines=code_lines))
        tests: TestRun | None = None
        check = check_math(understanding, self.problem, self.tree)  # text patterns (and values) of the nodes
        if understanding.code and not code:
            check.right = []  # a debug copy's lines are the buggy program's: they match its nodes' patterns
        wrong_detail = ""
        if code:
            tests = recorded or check_code(code, self.problem, self.sandbox)
            if tests.unavailable:  # not run, so no evidence either way
                evidence.detail = "code not run: the sandbox is unavailable"
                return evidence, tests
            if tests.passed:
                self._solve("all unit tests pass")
                evidence.outcome, evidence.detail = "solved", "all unit tests pass"
                if current:
                    state.observe(turn, current, True)
                return evidence, tests
            wrong_detail = tests.describe()
            evidence.diagnosis = diagnose_code(code, self.problem)
            check.right = []  # a failing submission is the evidence: words around it earn no credit
        said = self._claims(check) if not wrong_detail else None
        if said in (None, "unsure") and not code and current:
            facts = self._facts()
            if facts == "wrong":
                said = "wrong"
            elif facts == "right":
                self.verified, said = True, None
        if said in ("wrong", "unsure") and current:
            if said == "unsure":
                self._unsure(evidence, current, "a claim about the behaviour that cannot be checked: asked for a value")
                return evidence, tests
            detail = "the claim does not match what the code does when the tests run"
            state.append(AttemptWrong(turn=turn, node_id=current, evidence=detail))
            state.observe(turn, current, False)
            evidence.outcome, evidence.detail = "wrong", detail
            return evidence, tests
        if understanding.intent in ("override", "extraction", "off_topic"):
            # words in an attack or an aside are no evidence of understanding: only stated values count
            check.right = [m for m in check.right if m.by == "value"]
        resolved = [n for n in check.resolved_nodes if not state.is_resolved(n)]
        if code:
            resolved = [n for n in resolved if self.tree.node(n).kind != "fix"]
        if resolved:
            last = max(state.node_ids.index(n) for n in resolved)
            for node_id in state.node_ids[: last + 1]:
                if state.is_resolved(node_id):
                    continue
                by = "student" if node_id in resolved else "implied"
                state.append(NodeResolved(turn=turn, node_id=node_id, evidence=self._evidence_text(node_id), by=by))
            evidence.resolved = [n for n in state.node_ids[: last + 1] if n in resolved or n == current]
            if current:
                state.observe(turn, current, True)
            evidence.outcome = "right"
            return evidence, tests
        if current is None:
            return evidence, tests
        if check.right and not wrong_detail:
            evidence.detail = "repeated results already found"
            return evidence, tests
        if wrong_detail:
            evidence.diagnosis = evidence.diagnosis or self.diagnose(understanding, check.diagnosis, None)
            top = evidence.diagnosis[0].malgorithm_id if evidence.diagnosis else None
            state.append(AttemptWrong(turn=turn, node_id=current, evidence=wrong_detail, value=None, malgorithm_id=top))
            state.observe(turn, current, False)
            evidence.outcome, evidence.detail = "wrong", wrong_detail
        elif understanding.intent == "stuck":
            state.append(Stuck(turn=turn, node_id=current, evidence=understanding.text[:120]))
            state.observe(turn, current, False)
            evidence.outcome, evidence.detail = "stuck", "says they are stuck"
        elif understanding.intent == "answer" and len(understanding.text.split()) >= 3 and not self.verified:
            self._unsure(evidence, current, "an explanation that meets no check: asked for something checkable")
        return evidence, tests

    def _unsure(self, evidence: Evidence, node_id: str, detail: str) -> None:
        """A claim that cannot be checked asks again; the second in a row on one node counts as stuck, so the
        usual ladder (easier question, hint, bottom-out) goes on instead of asking the same thing forever."""
        evidence.judgement, evidence.detail = "unsure", detail
        if self.last is not None and self.last.judgement == "unsure" and self.last.node_id == node_id:
            self.state.append(Stuck(turn=self.turn, node_id=node_id, evidence="no checkable claim twice in a row"))
            self.state.observe(self.turn, node_id, False)
            evidence.outcome, evidence.detail = "stuck", f"{detail} (the second time in a row: treated as stuck)"

    def _claims(self, check: MathCheck) -> str | None:
        """Code text judged by what it claims (tutor.codecheck): keyword credit on the behaviour node is replaced
        by the failing tests' real result; a named line is checked against the bug's lines; a stuck message, a
        question or a hedge earns no credit. Returns right / wrong / unsure for the current node, or None.
        On the locate node a false claim in the message (what the named line or the loop does, a call's value)
        makes it `wrong` even when a bug line is named: "line 3 returns the total" for a loop line misreads it, and
        crediting the place would affirm a false statement; a true description, or none, or a fix that would not
        work, leaves the locate verdict."""
        understanding, problem, text = self.understanding, self.problem, self.understanding.text
        kinds = {n.id: n.kind for n in self.tree.nodes}
        check.right = [
            m for m in check.right if not (m.by == "pattern" and any(kinds.get(n) == "behaviour" for n in m.node_ids))
        ]
        node = self.tree.node(self.current) if self.current else None
        bug = node.bug if node and node.bug is not None else 0
        locate = codecheck.judge_locate(text, problem, bug) if node is not None and node.kind == "locate" else None
        said = None
        if node is not None and node.kind == "behaviour" and not self.code:
            said = codecheck.judge_behaviour(text, codecheck.buggy_run(problem, self.sandbox))
        if node is not None and not self.code:  # own calls, fixes and facts in words
            # with a line named, what the message says the code does is checked, not a fix it offers (the place
            # can be right and the fix still wrong: that is the fix node's question)
            words = codewords.judge_words(text, problem, bug, self.sandbox, kind=node.kind, fixes=locate is None)
            if locate is None:
                said = words or said
            elif words == "wrong":  # the right line with a false description of it: a misread, not found (wrong)
                locate = "wrong"
        # a stuck message, a question or a hedge earns nothing, but a checked claim stands ("KeyError, not sure why")
        if (understanding.intent in ("stuck", "question") or codecheck.hedged(text)) and "right" not in (said, locate):
            check.right = [m for m in check.right if m.by == "value"]
            return None
        if node is None or self.code:
            return None
        if node.kind == "behaviour" or said is not None:
            if said == "right":
                check.right.append(ValueMatch(value=0.0, text=text[:80], node_ids=[node.id], by="pattern"))
            return said
        if locate == "wrong":
            check.right = [m for m in check.right if node.id not in m.node_ids]
        elif locate == "right" and node.id not in check.resolved_nodes:
            check.right.append(ValueMatch(value=0.0, text=text[:80], node_ids=[node.id], by="pattern"))
        return locate

    def _solve(self, evidence: str) -> None:
        for node_id in self.state.node_ids:
            if not self.state.is_resolved(node_id):
                self.state.append(NodeResolved(turn=self.turn, node_id=node_id, evidence=evidence, by="implied"))
        self.state.append(Solved(turn=self.turn, evidence=evidence))

    def _evidence_text(self, node_id: str) -> str:
        value = node_value(self.tree.node(node_id), self.problem)
        return (
            f"said {value:g}"
            if value is not None and self.understanding.values
            else f"text: {self.understanding.text[:80]}"
        )


def update_code(
    understanding: Understanding,
    problem: Problem,
    tree: QuestionTree,
    state: KnowledgeState,
    turn: int,
    current: str | None,
    diagnose: Diagnose,
    *,
    sandbox: SandboxLimits,
    recorded: TestRun | None = None,
    last: TurnTrace | None = None,
) -> CodeTurn:
    """Judge one message on a code problem and append what it shows to the state. `recorded`: the sandbox run
    recorded for this turn (a session rebuilt from the store replays it, never re-runs code); `last`: the previous
    turn's trace."""
    judge = CodeJudge(
        understanding=understanding,
        problem=problem,
        tree=tree,
        state=state,
        turn=turn,
        current=current,
        sandbox=sandbox,
        diagnose=diagnose,
        last=last,
    )
    return judge.judge(recorded)
