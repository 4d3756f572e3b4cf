"""The Python program in a completion: the last closed fenced code block that is Python.

A block opens with a line that starts with three or more backticks followed by an optional
language tag, and closes with a line of at least as many backticks. Blocks tagged
``python``, ``py``, ``python3`` (any case) or untagged count; other tags (``text``,
``bash``...) do not. The last qualifying block wins (models put the final answer last); an
unclosed block is no block. Only the last ``max_chars`` characters of the completion are
read (as in ``verifiers.extract``). Blank blocks are skipped. Returns None when no block
qualifies. The program is returned with one trailing newline.
"""

from __future__ import annotations

import re

PYTHON_TAGS = frozenset({"", "python", "py", "python3"})
MAX_CHARS = 20_000
_FENCE = re.compile(r"^[ \t]*(`{3,})[ \t]*([^\s`]*)[^\n`]*$")


def extract_program(completion: str, max_chars: int = MAX_CHARS) -> str | None:
    if not isinstance(completion, str):
        return None
    lines = completion[-max_chars:].split("\n")
    found: str | None = None
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        ticks, tag = len(opening.group(1)), opening.group(2).lower()
        for j in range(i + 1, len(lines)):
            closing = re.match(r"^[ \t]*(`{3,})[ \t]*$", lines[j])
            if closing and len(closing.group(1)) >= ticks:
                if tag in PYTHON_TAGS:
                    body = "\n".join(lines[i + 1:j])
                    found = body + "\n" if body.strip() else found
                i = j + 1
                break
        else:
            break  # unclosed: nothing after it counts either
    return found
