"""Plain-text formatting for the terminal: safe, truncated cells and aligned tables."""
from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass

import pandas as pd

# Model text is untrusted: escape sequences could repaint or hijack the terminal, and line or
# bidi-override separators could break table rows or disguise text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _visible(m: re.Match) -> str:
    o = ord(m.group())
    return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}"


_SPACE = re.compile(r"[ \t]+")


def clean(text: str) -> str:
    """Make control characters visible (\\x1b etc.), keep newlines and tabs."""
    return _CONTROL.sub(_visible, text.replace("\r\n", "\n"))


def one_line(text: str) -> str:
    """Single-line form for a table cell; newlines shown as ↵."""
    return _SPACE.sub(" ", clean(text).replace("\n", " ↵ ")).strip()


def truncate(text: str, width: int) -> str:
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: width - 1] + "…"


def is_missing(v: object) -> bool:
    """None, NaN, pandas NA/NaT."""
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):  # array-likes are values, not missing
        return False


def fmt_num(v: object) -> str:
    """Compact number: 3 decimals for rates, fewer for big values, '' for missing."""
    if is_missing(v):
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    try:
        x = float(v)  # also numpy scalars
    except (TypeError, ValueError):
        return str(v)
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    a = abs(x)
    if x.is_integer() and (isinstance(v, numbers.Integral) or a >= 1000):
        return f"{int(x):,}" if a >= 10_000 else str(int(x))
    if a >= 10_000:
        return f"{x:,.0f}"
    if a >= 100:
        return f"{x:.1f}"
    if a >= 10:
        return f"{x:.2f}"
    if a != 0 and a < 0.001:
        return f"{x:.1e}"
    return f"{x:.3f}"


def fmt_mean_std(mean: float, std: float) -> str:
    """'0.512 ± 0.020'; a lone seed has no std, so only the mean."""
    if is_missing(mean):
        return ""
    m = fmt_num(mean)
    if is_missing(std):
        return m
    # The std at the mean's precision: float noise like 1e-17 reads as 0.000, not as data.
    if "e" in m:
        return f"{m} ± {std:.1e}"
    decimals = len(m.split(".")[1]) if "." in m else 0
    return f"{m} ± {std:,.{decimals}f}"


@dataclass(frozen=True)
class Col:
    header: str
    width: int | None = None  # None: fit the content
    align: str = "<"  # "<" left, ">" right


def render_table(cols: list[Col], rows: list[list[str]], sep: str = "  ") -> str:
    widths = []
    for i, c in enumerate(cols):
        w = c.width if c.width is not None else max([len(c.header)] + [len(r[i]) for r in rows])
        widths.append(w)
    lines = []
    for cells in [[c.header for c in cols]] + rows:
        parts = [f"{truncate(cell, w):{c.align}{w}}" for cell, c, w in zip(cells, cols, widths)]
        lines.append(sep.join(parts).rstrip())
    lines.insert(1, sep.join("-" * w for w in widths))
    return "\n".join(lines)


def render_wrapped(cols: list[Col], rows: list[list[str]], width: int, keep: int = 1) -> str:
    """render_table split into column blocks that fit `width`, each repeating the first
    `keep` (label) columns, like pandas' wide-frame display."""
    def w(i: int) -> int:
        return max([len(cols[i].header)] + [len(r[i]) for r in rows]) + 2

    blocks, current = [], []
    base = sum(w(i) for i in range(keep))
    for i in range(keep, len(cols)):
        if current and base + sum(w(j) for j in current) + w(i) > width:
            blocks.append(current)
            current = []
        current.append(i)
    blocks.append(current)
    out = []
    for block in blocks:
        idx = list(range(keep)) + block
        out.append(render_table([cols[i] for i in idx], [[r[i] for i in idx] for r in rows]))
    return "\n\n".join(out)


def markdown_table(headers: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> str:
    def cell(s: str) -> str:
        return s.replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(cell(h) for h in headers) + " |"]
    out.append("|" + "|".join("---:" if i in right else "---" for i in range(len(headers))) + "|")
    out += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]
    return "\n".join(out) + "\n"
