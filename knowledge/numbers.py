"""Numbers, in one place: comparing, formatting, evaluating arithmetic, units and reading numbers in text.

Both `tutor` and `simulator` (and `evals`) import this module, so a student "said 0.67" means the same everywhere.

- **Comparing.** `close(a, b)` is equality within one relative tolerance, `REL_TOL` (1e-6 of the larger magnitude,
  never tighter than `ABS_FLOOR`, 1e-9): float noise, not rounding. `stands_for(value, true)` also accepts a value
  written as the true one rounded to the decimals it was written with ("0.67" for 2/3, "0.3333" for 1/3). Code that
  genuinely needs another tolerance passes `rel=` (or `floor=`) and says why: a node's check carries its own
  (`Check.tolerance`); the MathDial importer and the diagnosis of rounded student arithmetic are looser; the
  simulator compares values it reads back from text it wrote with `fmt` within `READ_BACK_TOL`; the MathDial
  reference labels accept a difference of `HALF_CENT`.
- **Formatting.** `fmt(12.0)` -> "12", `fmt(1/3)` -> "0.3333" for text people read; `fmt_exact` (10 significant
  digits) for values written back into arithmetic.
- **Evaluating.** `evaluate("4*7/8")` -> 3.5 over numbers, + - * / // % ** and parentheses (and, when asked, a few
  named functions); anything else raises ValueError, so data can never run code. `safe_eval` answers None instead.
- **Units.** `canonical_unit("hrs")` -> "hours", `convert(100, "cents", "dollars")` -> 1.0 (exact conversions only).
- **Reading.** `parse_numbers` reads the digits written in a text ("$1,200", "3.5", "25%", ".05", "-3");
  `numbers_in` reads a student's answer text (also "3/4" as 0.75 and small number words, "ten").
  The tutor's full reading of a student message (expressions, claims and mentions) is `tutor.numbers.extract`.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable

# ---------------------------------------------------------------- comparing

REL_TOL = 1e-6  # relative to the larger magnitude: equal up to float noise
ABS_FLOOR = 1e-9  # the tolerance never gets tighter than this (comparisons with 0)

# The documented overrides (passed as `rel=` / `floor=` by the code that needs them):
READ_BACK_TOL = 1e-3  # relative: a value read back from text written with `fmt` (4 decimals): 1/3 ~ "0.3333"
HALF_CENT = 0.005  # absolute floor: MathDial's solutions and students write money to the cent ("3.33" for 10/3)


def close(a: float, b: float, rel: float = REL_TOL, floor: float = ABS_FLOOR) -> bool:
    """a and b are the same number up to `rel` (relative to the larger of the two), never tighter than `floor`;
    no rounding allowance."""
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), floor)


def stands_for(value: float, true: float, rel: float = REL_TOL, text: str | None = None) -> bool:
    """`value` (said) stands for `true`: close, or `true` rounded to the decimals `value` is written with (its
    `text`, else its repr): 0.67 ~ 2/3, 0.3333 ~ 1/3, 0.4 ~ 3/8; not 0.37 ~ 3/8 (1 to 6 decimals, no integers)."""
    if close(value, true, rel):
        return True
    if true != int(true) and value != int(value):
        s = text if text and re.fullmatch(r"-?\d*\.\d+", text.strip()) else repr(float(value))
        decimals = len(s.split(".")[1]) if "." in s else 0
        if 1 <= decimals <= 6 and abs(round(true, decimals) - value) <= 10 ** (-decimals) / 2 + 1e-12:
            return True
    return False


def contains(values: list[float] | set[float], value: float, rel: float = REL_TOL, floor: float = ABS_FLOOR) -> bool:
    """Some number in `values` is close to `value`."""
    return any(close(x, value, rel, floor) for x in values)


# ---------------------------------------------------------------- formatting


def fmt(value: float) -> str:
    """For people: 12.0 -> '12', 0.875 -> '0.875', 1/3 -> '0.3333' (at most 4 decimals)."""
    if abs(value - round(value)) < 1e-9:
        return str(int(round(value)))
    return f"{value:.4f}".rstrip("0").rstrip(".")


def fmt_exact(value: float) -> str:
    """For arithmetic written back as text: 12.0 -> '12', 1/3 -> '0.3333333333' (10 significant digits)."""
    return f"{value:.10g}"


# ---------------------------------------------------------------- evaluating

# The binary operators of arithmetic (the tutor's sandbox verdicts evaluate the same ones on plain values).
BINARY_OPERATORS: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type, Callable[[float], float]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
MAX_EXPONENT = 64  # a ** b is refused beyond these (a student's "9**9**9" must not hang the turn)
MAX_POWER_BASE = 1e6


def evaluate(expression: str, functions: dict[str, Callable[..., float]] | None = None) -> float:
    """Evaluate plain arithmetic (numbers, + - * / // % **, parentheses, and the named `functions`) like Python
    would. Raises ValueError for anything else, a division by zero, an oversized power or a non-finite result."""
    allowed = functions or {}

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in BINARY_OPERATORS:
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Pow) and (abs(right) > MAX_EXPONENT or abs(left) > MAX_POWER_BASE):
                raise ValueError(f"power too large in {expression!r}")
            return BINARY_OPERATORS[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](ev(node.operand))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in allowed
            and not node.keywords
        ):
            return allowed[node.func.id](*(ev(a) for a in node.args))
        raise ValueError(f"not plain arithmetic: {ast.unparse(node)!r}")

    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"cannot parse {expression!r}: {exc.msg}") from None
    except ValueError:  # e.g. a NUL byte
        raise ValueError(f"cannot parse {expression!r}") from None
    try:
        value = float(ev(tree))
    except ZeroDivisionError:
        raise ValueError(f"division by zero in {expression!r}") from None
    except (OverflowError, TypeError) as exc:
        raise ValueError(f"cannot evaluate {expression!r}: {exc}") from None
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {expression!r}")
    return value


def safe_eval(expression: str) -> float | None:
    """`evaluate` without functions; None when the text is not such an expression."""
    try:
        return evaluate(expression)
    except ValueError:
        return None


# ---------------------------------------------------------------- units

# unit -> (dimension, factor to the dimension's base); only exact, unambiguous conversions
UNITS: dict[str, tuple[str, float]] = {
    "cents": ("money", 0.01), "dollars": ("money", 1.0),
    "seconds": ("time", 1.0), "minutes": ("time", 60.0), "hours": ("time", 3600.0), "days": ("time", 86400.0),
    "weeks": ("time", 604800.0),
    "millimeters": ("length", 0.001), "centimeters": ("length", 0.01), "meters": ("length", 1.0),
    "kilometers": ("length", 1000.0), "inches": ("length", 0.0254), "feet": ("length", 0.3048),
    "yards": ("length", 0.9144), "milliliters": ("volume", 0.001), "liters": ("volume", 1.0),
}  # fmt: skip
_UNIT_ALIASES = {
    "cent": "cents", "c": "cents", "dollar": "dollars", "bucks": "dollars", "buck": "dollars", "second": "seconds",
    "sec": "seconds", "secs": "seconds", "s": "seconds", "minute": "minutes", "min": "minutes", "mins": "minutes",
    "hour": "hours", "hr": "hours", "hrs": "hours", "h": "hours", "day": "days", "week": "weeks",
    "millimeter": "millimeters", "mm": "millimeters", "centimeter": "centimeters", "cm": "centimeters",
    "meter": "meters", "metre": "meters", "metres": "meters", "m": "meters", "kilometer": "kilometers",
    "km": "kilometers", "inch": "inches", "in": "inches", "foot": "feet", "ft": "feet", "yard": "yards",
    "yd": "yards", "milliliter": "milliliters", "ml": "milliliters", "liter": "liters", "litre": "liters",
    "litres": "liters", "l": "liters",
}  # fmt: skip


def canonical_unit(word: str) -> str:
    """'cent' -> 'cents', 'hrs' -> 'hours'; '' when not a unit this module converts. Multi-word units ('dollars
    per ounce') are not converted."""
    w = word.strip().lower()
    w = _UNIT_ALIASES.get(w, w)
    return w if w in UNITS else ""


def convert(value: float, unit: str, to: str) -> float | None:
    """value in `unit` expressed in `to` (100 cents -> 1 dollar); None when either is unknown or they differ in
    dimension."""
    a, b = UNITS.get(canonical_unit(unit)), UNITS.get(canonical_unit(to))
    if a is None or b is None or a[0] != b[0]:
        return None
    return value * a[1] / b[1]


# ---------------------------------------------------------------- reading

NUMBER = re.compile(r"(?<![\w.])[-−]?\$?\d+(?:,\d{3})*(?:\.\d+)?%?|(?<![\w.])\.\d+")


def parse_numbers(text: str, *, percent_fractions: bool = False) -> list[float]:
    """Numbers written in digits in a text ("$1,200", "3.5", "25%", ".05"), as floats; "a/b" gives its parts.

    With `percent_fractions`, "25%" also yields 0.25.
    """
    out: list[float] = []
    for raw in NUMBER.findall(text or ""):
        cleaned = raw.replace("$", "").replace(",", "").replace("%", "").replace("−", "-")
        try:
            value = float(cleaned)
        except ValueError:
            continue
        out.append(value)
        if percent_fractions and raw.endswith("%"):
            out.append(value / 100)
    return out


NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
}  # fmt: skip
_ANSWER_NUMBER = re.compile(
    r"(?<![\w.])(-?\$?\s?\d[\d,]*(?:\.\d+)?(?:\s*/\s*\d+(?:\.\d+)?)?%?|-?\$?\.\d+%?)|\b("
    + "|".join(NUMBER_WORDS)
    + r")\b",
    re.I,
)


def parse_number(token: str) -> float | None:
    """'$1,200' -> 1200, '3/4' -> 0.75, '12.5%' -> 12.5, 'ten' -> 10; None when it is not a number."""
    token = token.strip()
    if token.lower() in NUMBER_WORDS:
        return float(NUMBER_WORDS[token.lower()])
    clean = token.replace("$", "").replace(",", "").replace(" ", "").rstrip("%")
    try:
        if "/" in clean:
            num, den = clean.split("/", 1)
            return float(num) / float(den) if float(den) != 0 else None
        return float(clean)
    except ValueError:
        return None


def numbers_in(text: str) -> list[float]:
    """Every number in a student's answer text, in order (digits, $, commas, fractions, percents, number words)."""
    values = []
    for match in _ANSWER_NUMBER.finditer(text or ""):
        value = parse_number(match.group(0))
        if value is not None:
            values.append(value)
    return values


def last_number(text: str) -> float | None:
    found = numbers_in(text)
    return found[-1] if found else None
