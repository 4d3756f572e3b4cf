"""Extracting the Python program from a completion's fenced blocks."""

from verifiers.code.program import extract_program


def test_last_python_block_wins():
    text = "Plan:\n```python\nprint(1)\n```\nBetter:\n```py\nprint(2)\n```\nDone."
    assert extract_program(text) == "print(2)\n"


def test_untagged_counts_other_languages_do_not():
    assert extract_program("```\nx = 1\nprint(x)\n```") == "x = 1\nprint(x)\n"
    assert extract_program("```python\nprint(1)\n```\n```bash\nls\n```\n```text\nout\n```") == "print(1)\n"
    assert extract_program("```Python3 title\nprint(3)\n```") == "print(3)\n"


def test_unclosed_blank_and_missing():
    assert extract_program("```python\nprint(1)\n```\n```python\nprint(2)\n") == "print(1)\n"
    assert extract_program("```python\n   \n```") is None
    assert extract_program("```python\nprint(1)\n```\n```python\n\n```") == "print(1)\n"
    assert extract_program("no code here") is None
    assert extract_program(None) is None


def test_longer_fences_and_inner_backticks():
    text = "````python\ns = '```'\nprint(s)\n````"
    assert extract_program(text) == "s = '```'\nprint(s)\n"
    text = "````python\nprint(1)\n```\nprint(2)\n````"  # a shorter fence does not close it
    assert extract_program(text) == "print(1)\n```\nprint(2)\n"


def test_reads_only_the_tail():
    text = "```python\nprint('early')\n```\n" + "filler\n" * 5000
    assert extract_program(text) is None
    assert extract_program(text, max_chars=10**6) == "print('early')\n"
