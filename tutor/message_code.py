"""The code in a student's message: fenced blocks, a pasted function, or (code problems) a line or two of Python.

`extract_code` is step 1's reading of code (tutor.understand): it tells a submission from code the student only
mentions, asks about or gives as an example ("is it possible to do `for x in xs:`?", "for example `i = 0`").
"""

from __future__ import annotations

import ast
import re

_CODE_LINE = re.compile(r"^\s*(?:for|while|if|elif|else|return|def|import|from|with|try|except)\b|[=\[(]")


_STATEMENT = re.compile(
    r"^\s*(?:for|while|if|elif|else|return|def|import|from|with|try|except)\b|"
    r"^\s*[\w.\[\]]+\s*(?:[-+*/%]|//)?=(?!=)"
)


def _looks_like_code(line: str) -> bool:
    """A single line of Python (not an English sentence that happens to parse)."""
    s = line.strip().strip("`").strip()
    if not s or not _CODE_LINE.search(s) or re.fullmatch(r"[-+*/().\d\s=x]+", s):
        return False
    body = s + ("\n    pass" if s.endswith(":") else "")
    if s.startswith(("elif", "else")):
        body = "if x:\n    pass\n" + body
    try:
        ast.parse(body)
    except SyntaxError:
        return False
    return True


_EXAMPLE = re.compile(r"\b(?:for (?:example|instance)|e\.?g\.?|example|such as|let'?s say)\b[^.!?]*$", re.IGNORECASE)


def _literal_assignment(span: str) -> bool:
    """`b = 3 + 5`, `i = 0`, `numbers = [1, 2, 3]`: a name bound to a value made of literals only (what a variable
    holds, said in passing), not a line of the student's program."""
    try:
        tree = ast.parse(span.strip())
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assign):
        return False
    return not any(
        isinstance(n, ast.Name | ast.Call | ast.Attribute | ast.Subscript | ast.Lambda)
        for n in ast.walk(tree.body[0].value)
    )


def _mentioned(text: str, m: re.Match[str]) -> bool:
    """An inline span that is no submission: inside a question ("is it possible to do `for x in xs:`?"), given as an
    example ("for example `numbers = [1, 2]`"), or a literal assignment (`b = 3 + 5` which is 8)."""
    before = re.split(r"[.!?](?:\s+|$)", re.sub(r"`[^`\n]*`", "``", text[: m.start()]))[-1]
    after = re.sub(r"`[^`\n]*`", "``", text[m.end() :])
    end = re.search(r"[.!?](?=\s|$)|$", after)
    asked = end is not None and end.group(0) == "?"
    return asked or bool(_EXAMPLE.search(before)) or _literal_assignment(m.group(1))


def extract_code(text: str, *, loose: bool = False) -> str:
    """Fenced code blocks (joined), else a pasted function starting at a `def`/`class`/`import` line. With
    `loose` (code problems), also inline `code` spans (not those asked about, given as examples or binding a literal)
    or a message that is only a line or two of Python."""
    blocks = re.findall(r"```[ \t]*[\w+-]*[ \t]*\n?(.*?)```", text, re.DOTALL)
    if blocks:
        return "\n".join(b.rstrip() for b in blocks).strip("\n")
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if re.match(r"\s*(def|class)\s+\w+\s*[(:]", ln)), None)
    if start is None:
        if loose:
            # an inline span is a code line only as a statement: `range(len(nums))` or `f()` alone is a mention
            spans = [
                m.group(1)
                for m in re.finditer(r"`([^`\n]+)`", text)
                if _looks_like_code(m.group(1)) and _STATEMENT.search(m.group(1)) and not _mentioned(text, m)
            ]
            if spans and not re.search(r"\blines?\s*\d+", text, re.I):  # "It's line 1, `def f(x=[]):`" quotes a line
                return "\n".join(spans)
            code_lines = [ln for ln in lines if ln.strip()]
            if 0 < len(code_lines) <= 3 and all(_looks_like_code(ln) for ln in code_lines):
                return "\n".join(code_lines)
        return ""
    while start > 0 and re.match(r"\s*(import|from)\s+\w+", lines[start - 1]):
        start -= 1
    out = []
    for ln in lines[start:]:
        if ln.strip() == "" or ln.startswith((" ", "\t")) or re.match(r"(def|class|import|from|@|#)\b", ln):
            out.append(ln)
        else:
            break
    return "\n".join(out).strip("\n")
