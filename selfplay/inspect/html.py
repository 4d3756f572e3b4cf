"""Small HTML building blocks. Everything that is not markup goes through esc(): model text
is untrusted and must never become markup."""
from __future__ import annotations

import html

from .textfmt import clean, fmt_num, is_missing


def esc(v: object) -> str:
    return "" if is_missing(v) else html.escape(str(v), quote=True)


def num(v: object) -> str:
    return esc(fmt_num(v)) or "—"


def table(headers: list[str], rows: list[list[str]], cls: str = "", row_cls: list[str] | None = None) -> str:
    """Cells are already-escaped HTML; headers are escaped here."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join(
        f'<tr class="{(row_cls or [""] * len(rows))[i]}">' + "".join(f"<td>{c}</td>" for c in r) + "</tr>"
        for i, r in enumerate(rows)
    )
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def text_block(text: object, cls: str = "text") -> str:
    """Model text verbatim, but control characters shown as \\x1b etc. (as in the terminal)."""
    return f'<pre class="{cls}">{esc(clean(str(text))) if not is_missing(text) else "<i>(none)</i>"}</pre>'


def details(summary: str, inner: str, open_: bool = False) -> str:
    return f"<details{' open' if open_ else ''}><summary>{esc(summary)}</summary>{inner}</details>"


CSS = """
:root { --fg:#1f2328; --muted:#656d76; --line:#d0d7de; --bg2:#f6f8fa; --ok:#e6f4ea; --bad:#fdecea; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: var(--fg); margin: 0; background: #fff; }
main { max-width: 1280px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 18px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 8px; }
nav a { margin-right: 14px; }
.muted { color: var(--muted); }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
            font-size: 12px; line-height: 1.4; }  /* not `font:`, which would reset <b>'s weight */
table { border-collapse: collapse; margin: 6px 0 10px; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg2); font-weight: 600; }
td.n, table.nums td { text-align: right; font-variant-numeric: tabular-nums; }
table.nums td:first-child { text-align: left; }
.plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(540px, 1fr)); gap: 14px; }
figure { margin: 0; padding: 6px; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
figure svg { display: block; width: 100%; height: auto; }
figure.wide { grid-column: 1 / -1; }
pre.text, pre.problem, pre.config { white-space: pre-wrap; overflow-wrap: anywhere; margin: 2px 0 8px;
       padding: 6px 8px; background: var(--bg2); border-radius: 4px; max-height: 16em; overflow: auto; }
pre.problem { background: #fff8e1; }
pre.config { max-height: none; }
.row { display: flex; flex-wrap: wrap; gap: 28px; align-items: flex-start; }
.row h3 { margin-top: 6px; }
.row > div { max-width: 600px; }
.row code { overflow-wrap: anywhere; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; margin: 12px 0; }
.meta { margin-bottom: 6px; }
.meta span { display: inline-block; margin-right: 12px; }
.label { font-weight: 600; font-size: 12px; color: var(--muted); margin-top: 6px; }
.badge { padding: 0 6px; border-radius: 10px; font-size: 12px; }
.badge.ok { background: var(--ok); } .badge.bad { background: var(--bad); }
table.attempts { width: 100%; table-layout: fixed; }
table.attempts td pre.text { max-height: 10em; margin: 0; }
table.attempts col.c-idx { width: 36px; } table.attempts col.c-small { width: 68px; }
table.attempts col.c-ans { width: 130px; }
tr.right td { background: var(--ok); } tr.wrong td { background: var(--bad); }
tr.right td pre, tr.wrong td pre { background: rgba(255,255,255,.6); }
details summary { cursor: pointer; color: var(--muted); font-size: 12px; }
"""


def page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # Locks the page to its own inline content: no script runs and nothing is fetched.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">"
        f"<title>{esc(title)}</title><style>{CSS}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )
