"""Terminal formatting helpers."""
import math

from hypothesis import given
from hypothesis import strategies as st

from selfplay.inspect.textfmt import (
    Col,
    clean,
    fmt_mean_std,
    fmt_num,
    markdown_table,
    one_line,
    render_table,
    render_wrapped,
    truncate,
)


def test_fmt_num():
    assert fmt_num(0.51234) == "0.512"
    assert fmt_num(12) == "12" and fmt_num(12.5) == "12.50" and fmt_num(250.25) == "250.2"
    assert fmt_num(24000.0) == "24,000" and fmt_num(0.00012) == "1.2e-04"
    assert fmt_num(None) == "" and fmt_num(math.nan) == "" and fmt_num(True) == "yes"


def test_fmt_mean_std_uses_mean_precision():
    assert fmt_mean_std(0.5, 0.1) == "0.500 ± 0.100"
    assert fmt_mean_std(0.7, 1.4e-16) == "0.700 ± 0.000"
    assert fmt_mean_std(0.7, math.nan) == "0.700"  # one seed: no std
    assert fmt_mean_std(math.nan, math.nan) == ""


def test_control_characters_are_made_visible():
    assert clean("a\x1b[31mb\tc\n") == "a\\x1b[31mb\tc\n"
    assert one_line("x\n  y\r\nz") == "x ↵ y ↵ z"
    assert one_line("a\u2028b\u202ec") == "a\\u2028b\\u202ec"


@given(st.text(), st.integers(min_value=1, max_value=40))
def test_truncate_respects_width(text, width):
    out = truncate(text, width)
    assert len(out) <= width and (out == text or out.endswith("…"))


@given(st.lists(st.tuples(st.text(max_size=30), st.text(max_size=30)), max_size=5))
def test_fixed_width_table_lines_have_fixed_width(rows):
    rows = [[one_line(a), one_line(b)] for a, b in rows]
    out = render_table([Col("a", 6), Col("b", 8, ">")], rows)
    assert all(len(line) <= 16 for line in out.split("\n"))
    assert len(out.split("\n")) == len(rows) + 2


def test_wrapped_table_repeats_label_columns():
    cols = [Col("setting")] + [Col(f"metric_{i}", align=">") for i in range(6)]
    rows = [["a=1"] + [f"0.{i}00 ± 0.010" for i in range(6)]]
    out = render_wrapped(cols, rows, width=60)
    blocks = out.split("\n\n")
    assert len(blocks) > 1 and all(b.startswith("setting") for b in blocks)
    assert all(len(line) <= 60 for line in out.splitlines())


def test_markdown_table_escapes_pipes():
    md = markdown_table(["a", "b"], [["x|y", "1"]], right={1})
    assert md.splitlines() == ["| a | b |", "|---|---:|", "| x\\|y | 1 |"]
