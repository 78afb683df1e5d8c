"""Verdicts decided outside the sandbox.

Each unit test is split here, in the app's process, into the parts only the student's code can evaluate (calls of
the student's functions, names the test's set-up defined) and the rest (literals, comparisons, arithmetic, a few
pure builtins such as `abs`, `len`, `sorted`, `math.isclose`). Only the parts go to the sandbox, never the expected
values; the sandbox sends back plain data (`encode` in sandbox_child.py: numbers, strings, bytes, lists, tuples,
dicts, sets, None; anything else as an opaque type name plus its repr), and the rest of the test is evaluated here
on that data. A custom `__eq__`, a patched builtin or harness, an edited job or a forged record cannot make a wrong
value equal: the comparison never runs in the student's process and never sees the student's objects.

Statements before a test's asserts (`data = [1]; f(data); assert data == [1]`) run in the sandbox first. A test
with no `assert` runs in the sandbox as set-up (`x = {...}`, `import math`) and counts as
passed when it raises nothing. An `assert` nested inside another statement (a loop, a `with`) cannot be decided
here and is reported as a failing, uncheckable test (write such checks as one `assert` per line).
"""

from __future__ import annotations

import ast
import math
import operator
from dataclasses import dataclass, field
from typing import Any, Literal

from knowledge.numbers import BINARY_OPERATORS

MAX_NODES = 20_000  # values bigger than this come back opaque (never equal to anything)
MAX_DEPTH = 40

SAFE_FUNCS: dict[str, Any] = {
    "abs": abs,
    "len": len,
    "round": round,
    "sorted": sorted,
    "min": min,
    "max": max,
    "sum": sum,
    "set": set,
    "frozenset": frozenset,
    "list": list,
    "tuple": tuple,
    "dict": dict,
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "all": all,
    "any": any,
    "repr": repr,
}
SAFE_MATH: dict[str, Any] = {
    "isclose": math.isclose,
    "sqrt": math.sqrt,
    "floor": math.floor,
    "ceil": math.ceil,
    "fabs": math.fabs,
    "pi": math.pi,
    "e": math.e,
    "inf": math.inf,
    "nan": math.nan,
    "tau": math.tau,
}
_CMP = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


class NotPlain(Exception):
    """The test needs a property of a value that is not plain data (the student's own object)."""


class Unsupported(Exception):
    """The test uses something the parent does not evaluate (or an arithmetic bomb)."""


@dataclass(frozen=True)
class Opaque:
    """A value of a type that is not plain data: known only by its type name and (the child's) repr."""

    type_name: str
    text: str

    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:  # equal to nothing, itself included: it cannot be checked
        return False

    def __repr__(self) -> str:
        return self.text


@dataclass
class Check:
    """How one unit test is decided."""

    index: int
    test: str
    kind: Literal["assert", "exec", "invalid"]
    parts: list[str] = field(default_factory=list)  # expressions the sandbox evaluates, in order
    setup: list[str] = field(default_factory=list)  # statements the sandbox runs first (`data = [...]; f(data)`)
    expr: ast.expr | None = None  # the assert's test, the parts replaced by names __part0, __part1, ...
    error_type: str = ""
    message: str = ""


def _safe_call(node: ast.Call) -> bool:
    f = node.func
    named = (isinstance(f, ast.Name) and f.id in SAFE_FUNCS) or (
        isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "math" and f.attr in SAFE_MATH
    )
    return named and not any(isinstance(a, ast.Starred) for a in node.args) and all(k.arg for k in node.keywords)


def _parent_node(node: ast.AST) -> bool:
    """Evaluated here (its children may still be parts)."""
    if isinstance(node, ast.Constant | ast.UnaryOp | ast.BoolOp | ast.Compare | ast.Subscript | ast.Slice):
        return True
    if isinstance(node, ast.BinOp):
        return type(node.op) in BINARY_OPERATORS
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return not any(isinstance(e, ast.Starred) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None for k in node.keys)
    if isinstance(node, ast.Call):
        return _safe_call(node)
    if isinstance(node, ast.Attribute):
        return isinstance(node.value, ast.Name) and node.value.id == "math" and node.attr in SAFE_MATH
    return isinstance(node, ast.Name) and node.id in SAFE_FUNCS


class _Split(ast.NodeTransformer):
    def __init__(self) -> None:
        self.parts: list[str] = []

    def visit(self, node: ast.AST) -> ast.AST:
        if isinstance(node, ast.expr) and not _parent_node(node):
            self.parts.append(ast.unparse(node))
            return ast.copy_location(ast.Name(id=f"__part{len(self.parts) - 1}", ctx=ast.Load()), node)
        if isinstance(node, ast.Call):  # keep the safe function itself; split its arguments
            node.args = [self.visit(a) for a in node.args]
            for k in node.keywords:
                k.value = self.visit(k.value)
            return node
        if isinstance(node, ast.Attribute):  # math.pi
            return node
        return self.generic_visit(node)


def plan(index: int, test: str) -> Check:
    try:
        tree = ast.parse(test, mode="exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return Check(index, test, "invalid", error_type="SyntaxError", message=f"the test is not valid Python: {exc}")
    body = tree.body
    first = next((k for k, st in enumerate(body) if isinstance(st, ast.Assert)), None)
    nested = any(isinstance(n, ast.Assert) for st in body if not isinstance(st, ast.Assert) for n in ast.walk(st))
    if first is not None and not nested and all(isinstance(st, ast.Assert) for st in body[first:]):
        # set-up statements (run in the sandbox), then one or more asserts (all must hold)
        asserts = [st.test for st in body[first:]]  # type: ignore[attr-defined]
        split = _Split()
        expr = split.visit(asserts[0] if len(asserts) == 1 else ast.BoolOp(op=ast.And(), values=asserts))
        setup = [ast.unparse(st) for st in body[:first]]
        return Check(index, test, "assert", parts=split.parts, expr=expr, setup=setup)
    if any(isinstance(n, ast.Assert) for n in ast.walk(tree)):
        return Check(
            index,
            test,
            "invalid",
            error_type="TestError",
            message="this test cannot be checked outside the student's program: use one `assert` per line",
        )
    return Check(index, test, "exec", parts=[test])


# --- plain data from the child ---------------------------------------------------------------------------------


def decode(data: Any, depth: int = 0, budget: list[int] | None = None) -> Any:
    """The value the child encoded (see sandbox_child.encode); malformed data raises ValueError."""
    budget = budget if budget is not None else [MAX_NODES]
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DEPTH or not isinstance(data, list) or not data:
        raise ValueError("malformed or oversized value")
    tag, rest = data[0], data[1:]
    if tag == "N":
        return None
    if tag == "b":
        return bool(rest[0])
    if tag == "i":
        return int(str(rest[0]))
    if tag == "f":
        return float(str(rest[0]))
    if tag == "c":
        return complex(float(rest[0]), float(rest[1]))
    if tag == "s":
        return str(rest[0])
    if tag in ("y", "B"):
        raw = bytes.fromhex(str(rest[0]))
        return raw if tag == "y" else bytearray(raw)
    if tag in ("l", "t", "S", "F"):
        items = [decode(x, depth + 1, budget) for x in rest[0]]
        return {"l": list, "t": tuple, "S": set, "F": frozenset}[tag](items)
    if tag == "d":
        return {decode(k, depth + 1, budget): decode(v, depth + 1, budget) for k, v in rest[0]}
    if tag == "o":
        return Opaque(str(rest[0])[:100], str(rest[1])[:300])
    raise ValueError(f"unknown tag {tag!r}")


def show(value: Any, n: int = 200) -> str:
    try:
        r = repr(value)
    except (ValueError, RecursionError):  # an int over the digit limit, say
        r = f"<{type(value).__name__}>"
    return r if len(r) <= n else r[: n - 3] + "..."


# --- evaluating the rest of the test here --------------------------------------------------------------------


def _plain(v: Any) -> Any:
    if isinstance(v, Opaque):
        raise NotPlain(f"the result is a {v.type_name} object, not a plain value the test can compare")
    return v


def _size(v: Any) -> int:
    return len(v) if isinstance(v, str | bytes | bytearray | list | tuple) else 0


def _arith(op: ast.operator, a: Any, b: Any) -> Any:
    a, b = _plain(a), _plain(b)
    ints = isinstance(a, int) and isinstance(b, int)
    if isinstance(op, ast.Pow) and ints and (abs(b) > 4096 or a.bit_length() * max(b, 0) > 1_000_000):
        raise Unsupported("a power too large to evaluate")
    if isinstance(op, ast.Mult):
        if ints and a.bit_length() + b.bit_length() > 1_000_000:
            raise Unsupported("a product too large to evaluate")
        for seq, k in ((a, b), (b, a)):
            if _size(seq) and isinstance(k, int) and _size(seq) * k > 1_000_000:
                raise Unsupported("a repetition too large to evaluate")
    return BINARY_OPERATORS[type(op)](a, b)


def evaluate(node: ast.AST, parts: list[Any]) -> Any:
    """The value of a split test expression, given the decoded parts."""
    ev = lambda n: evaluate(n, parts)  # noqa: E731
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id.startswith("__part"):
            return parts[int(node.id[6:])]
        return SAFE_FUNCS[node.id]
    if isinstance(node, ast.Attribute):
        return SAFE_MATH[node.attr]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        items = [ev(e) for e in node.elts]
        return (
            tuple(items) if isinstance(node, ast.Tuple) else (list(items) if isinstance(node, ast.List) else set(items))
        )
    if isinstance(node, ast.Dict):
        return {ev(k): ev(v) for k, v in zip(node.keys, node.values, strict=True)}  # type: ignore[arg-type]
    if isinstance(node, ast.UnaryOp):
        v = ev(node.operand)
        if isinstance(node.op, ast.Not):
            return not truth(v)
        return {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert}[type(node.op)](_plain(v))
    if isinstance(node, ast.BinOp):
        return _arith(node.op, ev(node.left), ev(node.right))
    if isinstance(node, ast.BoolOp):
        v: Any = None
        for value in node.values:
            v = ev(value)
            if truth(v) == isinstance(node.op, ast.Or):
                return v
        return v
    if isinstance(node, ast.Compare):
        left = _plain(ev(node.left))
        for op, comp in zip(node.ops, node.comparators, strict=True):
            right = _plain(ev(comp))
            if not _CMP[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.Subscript):
        return _plain(ev(node.value))[ev(node.slice)]
    if isinstance(node, ast.Slice):
        return slice(*(ev(x) if x is not None else None for x in (node.lower, node.upper, node.step)))
    if isinstance(node, ast.Call):
        args = [_plain(ev(a)) for a in node.args]
        kwargs = {k.arg: _plain(ev(k.value)) for k in node.keywords}
        return ev(node.func)(*args, **kwargs)
    raise Unsupported(f"{type(node).__name__} in a test")


def truth(v: Any) -> bool:
    return bool(_plain(v))


def compared(expr: ast.expr, parts: list[Any]) -> tuple[str | None, str | None]:
    """(got, expected) to show for a one-comparison test, else (None, None)."""
    if isinstance(expr, ast.Compare) and len(expr.ops) == 1:
        try:
            return show(evaluate(expr.left, parts)), show(evaluate(expr.comparators[0], parts))
        except Exception:  # noqa: BLE001 - display only; the verdict is decided in `decide`
            return None, None
    return None, None


def decide(check: Check, parts: list[Any]) -> tuple[bool, str, str]:
    """(passed, error_type, message) for an assert whose parts came back as `parts`."""
    assert check.expr is not None
    try:
        ok = truth(evaluate(check.expr, parts))
    except NotPlain as exc:
        return False, "AssertionError", str(exc)
    except Unsupported as exc:
        return False, "TestError", str(exc)
    except Exception as exc:  # noqa: BLE001 - e.g. TypeError comparing str with int: the test fails as in Python
        return False, type(exc).__name__, str(exc)[:300]
    if ok:
        return True, "", ""
    got, expected = compared(check.expr, parts)
    if got is not None and isinstance(check.expr, ast.Compare) and isinstance(check.expr.ops[0], ast.Eq):
        return False, "AssertionError", f"expected {expected}, got {got}"
    return False, "AssertionError", ""
