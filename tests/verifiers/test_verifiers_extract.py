import pytest

from verifiers.extract import MAX_CHARS, extract_answer


@pytest.mark.parametrize(
    "text, expected",
    [
        ("<answer>1</answer> then <answer>2</answer>", "2"),
        ("<answer>  42 \n</answer>", "42"),
        ("no tags here", None),
        ("<answer>7", None),  # unclosed
        ("7</answer>", None),  # no opening tag
        ("<answer>5</answer> and later <answer>6", "5"),  # last *closed* pair wins
        ("<answer><answer>3</answer>", "3"),
        ("<answer>   </answer>", None),
        ("<ANSWER>3</ANSWER>", None),  # tags are case-sensitive, as in SQLM
        ("<answer>x = \\frac{1}{2}</answer>", "x = \\frac{1}{2}"),
    ],
)
def test_answer_tag(text, expected):
    assert extract_answer(text, "answer_tag") == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("so \\boxed{12}.", "12"),
        ("\\boxed{1} then \\boxed{2}", "2"),
        ("\\boxed{\\frac{1}{\\sqrt{2}}}", "\\frac{1}{\\sqrt{2}}"),
        ("\\boxed{\\{1, 2\\}}", "\\{1, 2\\}"),  # escaped braces do not nest
        ("$\\boxed 5$", "5"),
        ("\\boxed  {  3 }", "3"),
        ("\\fbox{9}", "9"),
        ("\\boxed{1} \\fbox{2}", "2"),
        ("\\boxed{1} \\boxed{2", None),  # truncated last box: no answer
        ("\\boxed{}", None),
        ("\\boxed", None),
        ("\\boxedx", None),
        ("nothing", None),
    ],
)
def test_boxed(text, expected):
    assert extract_answer(text, "boxed") == expected


def test_auto_prefers_tag_then_boxed():
    assert extract_answer("\\boxed{1} <answer>2</answer>") == "2"
    assert extract_answer("<answer>2</answer> \\boxed{1}") == "2"
    assert extract_answer("work... \\boxed{1}") == "1"
    assert extract_answer("<answer>so \\boxed{4}.</answer>") == "4"
    assert extract_answer("just 5") is None


def test_plain_is_first_nonempty_line():
    assert extract_answer("\n\n  17 \nmore", "plain") == "17"
    assert extract_answer("   \n ", "plain") is None


def test_unknown_format_raises():
    with pytest.raises(ValueError):
        extract_answer("x", "latex")


def test_non_string_is_none():
    assert extract_answer(None) is None  # type: ignore[arg-type]


def test_only_the_tail_is_searched():
    old = "<answer>1</answer>"
    assert extract_answer(old + "x" * MAX_CHARS) is None
    assert extract_answer("x" * 10 * MAX_CHARS + old) == "1"


def test_pathological_inputs_are_fast():
    import time

    nasty = [
        "\\boxed{" * 50_000,
        "{" * 100_000 + "\\boxed{" + "}" * 3,
        "<answer>" * 50_000 + "</answer>",
        "\\" * 100_000 + "\\boxed{1}",
        "\x00\x1b[31m<answer>\ud800</answer>",
    ]
    t0 = time.perf_counter()
    for text in nasty:
        for fmt in ("auto", "answer_tag", "boxed", "plain"):
            extract_answer(text, fmt)
    assert time.perf_counter() - t0 < 2.0
