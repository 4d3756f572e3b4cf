"""matplotlib Figure -> SVG markup that can be inlined in HTML next to other figures."""
from __future__ import annotations

import io
import re

import matplotlib
from matplotlib.figure import Figure

_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.S)
_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(url\(#|xlink:href="#|href="#)([^)"]+)')


def figure_to_svg(fig: Figure, prefix: str) -> str:
    """Inline-ready <svg>: no XML prolog or metadata, text kept as text, ids namespaced.

    Every matplotlib SVG uses ids like `figure_1` and hashed clip-path ids; prefixing them (and
    the references to them) keeps figures from clipping or styling each other in one document.
    """
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": prefix}):
        fig.savefig(buf, format="svg", metadata={"Date": None})  # tight_layout already fitted it
    text = buf.getvalue()
    text = _METADATA.sub("", text[text.index("<svg"):], count=1)
    text = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', text)
    return _REF.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", text)
