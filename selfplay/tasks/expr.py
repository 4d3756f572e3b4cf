"""Finding and parsing the arithmetic in free text, without ``eval`` (shared by the real tasks).

``lex`` splits text into tokens; ``runs`` cuts the token stream into maximal stretches of
math tokens (numbers, operators, brackets; for equations also single-letter variables and
``=``) separated by prose; ``parse`` turns one stretch into a small AST; ``evaluate`` folds
an AST over any value type with + - * / (``Fraction`` for arithmetic, a linear form for
equations). Everything is bounded: the lexer reads at most ``MAX_CHARS`` characters, an
expression longer than ``MAX_TOKENS`` or nested deeper than ``MAX_DEPTH`` is a parse error,
never a RecursionError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, TypeVar

MAX_CHARS = 4_000
MAX_DEPTH = 32
MAX_TOKENS = 256  # per expression: keeps the AST shallow enough to fold recursively

_TOKEN = re.compile(
    # A number, with thousands separators only in groups of exactly three ("1,234,567").
    r"(?P<num>\d{1,3}(?:,\d{3})+(?![\d,])(?:\.\d+)?|\d+(?:\.\d+)?)"
    # Notation this parser does not evaluate (powers, percent, roots, subscripts, LaTeX
    # fractions): text holding any has no value computed here.
    r"|(?P<unknown>[\^%\u221a_]|\*\*|\\(?:sqrt|frac|dfrac|tfrac|pm|mod|binom)(?![A-Za-z]))"
    r"|(?P<latex>\\(?:times|cdot|div)(?![A-Za-z]))"
    r"|(?P<word>[A-Za-z]+)"
    r"|(?P<op>[-+*/\u00d7\u00f7\u00b7\u2212\u2013])"
    r"|(?P<lp>\()|(?P<rp>\))"
    r"|(?P<eq>=)"
    # Whitespace and TeX math delimiters / spacing carry no meaning here.
    r"|(?P<skip>\s+|\$|\\[()\[\],;:! ])"
    r"|(?P<other>.)",
    re.DOTALL,
)
_SYMBOL_OPS = {
    "-": "-", "+": "+", "*": "*", "/": "/", "\u00d7": "*", "\u00f7": "/", "\u00b7": "*", "\u2212": "-",
    "\u2013": "-", "\\times": "*", "\\cdot": "*", "\\div": "/",
}
_WORD_OPS = {"times": "*", "plus": "+", "minus": "-"}
_BY_OPS = {"multiplied": "*", "divided": "/"}  # "<word> by"


@dataclass(frozen=True)
class Token:
    kind: str  # num | var | op | lp | rp | eq | word | unknown | other
    text: str


def lex(text: str, *, word_ops: bool = False) -> list[Token]:
    """Tokens of ``text[:MAX_CHARS]``; single letters are ``var``. With ``word_ops`` (plain
    arithmetic) the words times / plus / minus / multiplied by / divided by, and a lone
    ``x`` after a number or ``)``, are operators."""
    tokens: list[Token] = []
    for m in _TOKEN.finditer(text[:MAX_CHARS]):
        kind, s = m.lastgroup, m.group()
        if kind == "skip":
            continue
        if kind == "num":
            tokens.append(Token("num", s.replace(",", "")))
        elif kind in ("op", "latex"):
            tokens.append(Token("op", _SYMBOL_OPS[s]))
        elif kind == "word":
            tokens.append(_word(s, tokens, word_ops))
        else:
            tokens.append(Token(kind, s))
    return tokens


def _word(s: str, before: list[Token], word_ops: bool) -> Token:
    low = s.lower()
    if word_ops:
        if low in _WORD_OPS:
            return Token("op", _WORD_OPS[low])
        if low == "by" and before and before[-1].kind == "word" and before[-1].text.lower() in _BY_OPS:
            return Token("op", _BY_OPS[before.pop().text.lower()])
        if low == "x" and before and before[-1].kind in ("num", "rp"):
            return Token("op", "*")
    return Token("var" if len(s) == 1 else "word", s)


def runs(tokens: list[Token], kinds: frozenset[str]) -> list[list[Token]]:
    """Maximal stretches of tokens whose kind is in ``kinds``, trimmed of dangling operators
    (a leading sign is kept) and of unmatched brackets at either end."""
    out: list[list[Token]] = []
    current: list[Token] = []
    for tok in [*tokens, Token("other", "")]:
        if tok.kind in kinds:
            current.append(tok)
            continue
        trimmed = _trim(current)
        if trimmed:
            out.append(trimmed)
        current = []
    return out


def _trim(run: list[Token]) -> list[Token]:
    lo, hi = 0, len(run)
    balance = sum(t.kind == "lp" for t in run) - sum(t.kind == "rp" for t in run)
    while lo < hi:
        first, last = run[lo], run[hi - 1]
        if last.kind in ("op", "eq"):
            hi -= 1
        elif first.kind == "eq" or (first.kind == "op" and first.text not in "+-"):
            lo += 1
        elif first.kind == "lp" and balance > 0:
            lo, balance = lo + 1, balance - 1
        elif last.kind == "rp" and balance < 0:
            hi, balance = hi - 1, balance + 1
        else:
            break
    return run[lo:hi]


# -- AST ------------------------------------------------------------------------------------
# ("num", Fraction, text) | ("var", name) | ("neg", a) | ("paren", a) | (op, a, b, implicit)
# (``implicit``: written without an operator, as in ``3x``)
Node = tuple


class ParseError(ValueError):
    pass


def parse(tokens: list[Token], *, implicit_mul: bool = False) -> Node:
    """One expression spanning all of ``tokens``: numbers, variables, + - * /, unary signs,
    brackets; with ``implicit_mul``, ``3x`` and ``2(x+1)`` multiply."""
    if len(tokens) > MAX_TOKENS:
        raise ParseError(f"expression longer than {MAX_TOKENS} tokens")
    parser = _Parser(tokens, implicit_mul)
    node = parser.expr(0)
    if parser.i != len(tokens):
        raise ParseError(f"unexpected {tokens[parser.i].text!r}")
    return node


class _Parser:
    def __init__(self, tokens: list[Token], implicit_mul: bool):
        self.tokens, self.i, self.implicit_mul = tokens, 0, implicit_mul

    def _peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def expr(self, depth: int) -> Node:
        node = self.term(depth)
        while (t := self._peek()) is not None and t.kind == "op" and t.text in "+-":
            self.i += 1
            node = (t.text, node, self.term(depth), False)
        return node

    def term(self, depth: int) -> Node:
        node = self.unary(depth)
        while (t := self._peek()) is not None:
            if t.kind == "op" and t.text in "*/":
                self.i += 1
                node = (t.text, node, self.unary(depth), False)
            elif self.implicit_mul and t.kind in ("var", "lp"):
                node = ("*", node, self.unary(depth), True)
            else:
                break
        return node

    def unary(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise ParseError("nested too deeply")
        t = self._peek()
        if t is None:
            raise ParseError("expression ends early")
        if t.kind == "op" and t.text in "+-":
            self.i += 1
            inner = self.unary(depth + 1)
            return ("neg", inner) if t.text == "-" else inner
        self.i += 1
        if t.kind == "num":
            return ("num", Fraction(t.text), t.text)
        if t.kind == "var":
            return ("var", t.text)
        if t.kind == "lp":
            inner = self.expr(depth + 1)
            closing = self._peek()
            if closing is None or closing.kind != "rp":
                raise ParseError("unclosed bracket")
            self.i += 1
            return ("paren", inner)
        raise ParseError(f"unexpected {t.text!r}")


V = TypeVar("V")


def evaluate(node: Node, atom: Callable[[Node], V]) -> V:
    """Fold ``node``; ``atom`` maps ("num", ...) and ("var", ...) leaves to values.
    ZeroDivisionError propagates (callers decide what a division by zero means)."""
    kind = node[0]
    if kind in ("num", "var"):
        return atom(node)
    if kind == "neg":
        return -evaluate(node[1], atom)
    if kind == "paren":
        return evaluate(node[1], atom)
    a, b = evaluate(node[1], atom), evaluate(node[2], atom)
    if kind == "+":
        return a + b
    if kind == "-":
        return a - b
    if kind == "*":
        return a * b
    return a / b


def leaves(node: Node) -> list[Node]:
    if node[0] in ("num", "var"):
        return [node]
    return [leaf for child in node[1:] if isinstance(child, tuple) for leaf in leaves(child)]

