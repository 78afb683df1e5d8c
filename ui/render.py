"""Pure functions: store rows and tutor state -> chat messages, markdown, HTML and tables. No Gradio here."""

from __future__ import annotations

import html
import re
from typing import Any

from knowledge.types import Problem
from store import Annotation, Turn, TutoringSession

LATEX_DELIMITERS = [
    {"left": "$$", "right": "$$", "display": True},
    {"left": "\\[", "right": "\\]", "display": True},
    {"left": "\\(", "right": "\\)", "display": False},
]  # no single-$ delimiter: word problems are full of prices ("$2 each and a $1 eraser")

_CODE_LIKE = re.compile(r"^\s*(def |class |return |for |while |if |import |from \w+ import|print\()", re.M)


def problem_intro(problem: Problem) -> str:
    text = f"### {problem.title}\n\n{problem.statement}"
    if problem.domain == "code" and problem.buggy_code:
        text += f"\n\n```python\n{problem.buggy_code.rstrip()}\n```"
    return text


def student_markdown(text: str) -> str:
    """Show pasted code with highlighting: wrap unfenced code in a python fence."""
    if "```" not in text and _CODE_LIKE.search(text) and "\n" in text:
        return f"```python\n{text}\n```"
    return text


def chat_messages(turns: list[Turn]) -> list[dict[str, Any]]:
    return [
        {
            "role": "user" if t.role == "student" else "assistant",
            "content": student_markdown(t.text) if t.role == "student" else t.text,
        }
        for t in turns
    ]


def node_resolved(state: Any, node_id: str) -> bool:
    """Read a node's status from the tutor's KnowledgeState, whatever container it uses."""
    if state is None:
        return False
    for attr in ("is_resolved", "resolved"):
        value = getattr(state, attr, None)
        if callable(value):
            try:
                return bool(value(node_id))
            except (KeyError, TypeError):
                pass
        elif isinstance(value, set | list | tuple | frozenset):
            return node_id in value
    nodes = getattr(state, "nodes", None)
    if isinstance(nodes, dict) and node_id in nodes:
        entry = nodes[node_id]
        status = (
            entry
            if isinstance(entry, str)
            else getattr(entry, "status", None) or (entry.get("status") if isinstance(entry, dict) else None)
        )
        return status == "resolved"
    return False


def progress(problem: Problem, tutor_session: Any) -> list[dict[str, Any]]:
    """The tree's nodes (concepts only, never answers) and whether each is resolved."""
    if problem.tree is None:
        return []
    state = getattr(tutor_session, "state", None)
    return [{"id": n.id, "concept": n.concept, "resolved": node_resolved(state, n.id)} for n in problem.tree.nodes]


def progress_html(items: list[dict[str, Any]], outcome: str = "active") -> str:
    if not items:
        return ""
    done = sum(1 for i in items if i["resolved"])
    chips = "".join(
        f'<span class="node {"done" if i["resolved"] else "todo"}" title="{html.escape(i["concept"])}">'
        f"{'✓' if i['resolved'] else '○'} {html.escape(_short(i['concept'], 48))}</span>"
        for i in items
    )
    label = "Solved!" if outcome == "solved" else f"{done} of {len(items)} ideas worked out"
    return f'<div class="progress-strip"><b>{label}</b> {chips}</div>'


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def session_rows(sessions: list[TutoringSession]) -> list[list[Any]]:
    return [
        [
            s.id,
            s.student_name,
            s.problem_id,
            s.policy,
            s.outcome,
            s.n_turns,
            "⚑" if s.flagged else "",
            s.started_at.replace("T", " ")[:16],
        ]
        for s in sessions
    ]


SESSION_HEADERS = ["id", "student", "problem", "policy", "outcome", "turns", "flag", "started"]


def trace_summary(turn: Turn) -> dict[str, str]:
    trace = turn.trace or {}
    guard = turn.guard or trace.get("guard") or {}
    diag = trace.get("diagnosis") or []
    return {
        "node": str(trace.get("node_id") or "—"),
        "move": str(turn.move or trace.get("move") or "—"),
        "depth": str(trace.get("depth") or "—"),
        "reason": str(trace.get("reason") or "—"),
        "diagnosis": ", ".join(
            f"{d.get('label', '?')} ({float(d.get('confidence', 0)):.0%})" for d in diag if isinstance(d, dict)
        )
        or "—",
        "guard": ("LEAK replaced: " + "; ".join(guard.get("reasons") or []))
        if guard.get("leaks")
        else ("passed" if guard else "—"),
        "llm": "yes" if trace.get("used_llm") else "no",
        "latency": f"{turn.latency_ms:.0f} ms" if turn.latency_ms is not None else "—",
    }


def transcript_html(turns: list[Turn], notes: list[Annotation]) -> str:
    """Each turn beside its decision trace (tutor turns) and the teachers' notes."""
    by_turn: dict[int, list[Annotation]] = {}
    for a in notes:
        by_turn.setdefault(a.turn_id, []).append(a)
    rows = []
    for t in turns:
        who = "Student" if t.role == "student" else "Tutor"
        ann = "".join(
            f'<div class="note">{"⚑ flagged" if a.flag else ""} {html.escape(a.comment)}</div>'
            for a in by_turn.get(t.id, [])
        )
        if t.role == "tutor" and t.trace:
            s = trace_summary(t)
            trace = "".join(f"<div><b>{k}</b>: {html.escape(v)}</div>" for k, v in s.items())
        elif t.role == "tutor":
            trace = "<div><i>opening question</i></div>"
        else:
            trace = ""
        rows.append(
            f'<tr class="{t.role}"><td class="idx">#{t.idx}</td><td class="who">{who}</td>'
            f'<td class="text"><pre>{html.escape(t.text)}</pre>{ann}</td><td class="trace">{trace}</td></tr>'
        )
    return (
        '<table class="transcript"><thead><tr><th></th><th></th><th>message</th><th>decision trace</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def mastery_rows(latest: dict[tuple[str, str], float]) -> tuple[list[str], list[list[Any]]]:
    """{(student, skill): p} -> headers and rows of a student x skill table."""
    students = sorted({k[0] for k in latest})
    skills = sorted({k[1] for k in latest})
    rows = [[s] + [f"{latest[(s, k)]:.2f}" if (s, k) in latest else "" for k in skills] for s in students]
    return ["student", *skills], rows


def skill_mastery(trace: dict[str, Any]) -> dict[str, float]:
    """BKT mastery per skill from a TurnTrace's state_after (dict shapes tolerated)."""
    state = trace.get("state_after") or {}
    for key in ("skills", "mastery", "skill_mastery"):
        value = state.get(key) if isinstance(state, dict) else None
        if isinstance(value, dict):
            out = {}
            for skill, v in value.items():
                if isinstance(v, int | float):
                    out[skill] = float(v)
                elif isinstance(v, dict):
                    for name in ("p", "mastery", "p_known", "value"):
                        if isinstance(v.get(name), int | float):
                            out[skill] = float(v[name])
                            break
            return out
    return {}
