"""Reading numbers in chat text ("$1,200", "3.5", "25%", ".05")."""

from __future__ import annotations

import re

NUMBER = re.compile(r"(?<![\w.])[-−]?\$?\d+(?:,\d{3})*(?:\.\d+)?%?|(?<![\w.])\.\d+")

def parse_numbers(text: str, *, percent_fractions: bool = False) -> list[float]:
    """Numbers written in a text ("$1,200", "3.5", "25%", ".05"), as floats; fractions a/b give their parts.

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
