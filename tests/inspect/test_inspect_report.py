"""The HTML report: self-contained, escaped, with plots, samples and config."""
import re
from html.parser import HTMLParser

from hypothesis import given
from hypothesis import strategies as st
from inspect_synth import write_metrics, write_run

from selfplay.inspect.cli import main
from selfplay.inspect.html import text_block
from selfplay.inspect.report import build_report
from selfplay.inspect.rundir import open_run


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.ids = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.ids += [v for k, v in attrs if k == "id"]


def parse(html: str) -> Tags:
    p = Tags()
    p.feed(html)
    return p


def test_report_is_self_contained_and_escaped(report_file):
    html = report_file.read_text()
    tags = parse(html)
    assert "script" not in tags.tags and "img" not in tags.tags and "link" not in tags.tags
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", html)
    assert "@import" not in html and "url(http" not in html
    # the fixture's hostile model text arrives as text only
    assert '<script>alert("pwned")</script>' not in html
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "\x1b" not in html and "\\x1b[31m" in html
    assert len(tags.ids) == len(set(tags.ids))  # inline SVG ids never collide


def test_report_sections(report_file):
    html = report_file.read_text()
    assert html.count("<figure") >= 10 and html.count("<svg") == html.count("<figure")
    for title in ("Agreement rate distribution", "Eval accuracy", "Eval pass@1 by level",
                  "Frontier fraction", "Valid fraction", "Label accuracy", "Reward (mean)",
                  "KL to reference", "Response length"):
        assert title in html, title
    for heading in ("Early: step 1", "Middle: step 7", "Late: step 12"):
        assert heading in html
    assert html.count('class="card"') >= 9 and html.count('class="attempts"') >= 9
    assert "invalid: no_problem" in html  # step 12 has an invalid proposal: one is sampled
    assert "kl_coef: 0.001" in html and "<code>seed=0</code>" in html


def test_report_cli_paths(tmp_path, capsys):
    run = write_run(tmp_path / "run", steps=2)
    (run / "metrics.jsonl").unlink()  # rollouts only: one plot, so the test stays quick
    assert main(["report", str(run)]) == 0
    assert (run / "report.html").read_text().startswith("<!DOCTYPE html>")
    assert capsys.readouterr().out == f"wrote {run / 'report.html'}\n"
    out = tmp_path / "elsewhere.html"
    assert main(["report", str(run), "--out", str(out)]) == 0 and out.exists()


def test_report_with_partial_run(tmp_path):
    only_metrics = tmp_path / "m"
    write_metrics(only_metrics, [{"step": 0, "eval/solver_pass@1": 0.2}, {"step": 1, "time/step_s": 3.0}])
    html = build_report(open_run(only_metrics))
    assert "No rollouts logged" in html and "No data for:" in html and html.count("<svg") == 2
    only_rollouts = write_run(tmp_path / "r", steps=2)
    (only_rollouts / "metrics.jsonl").unlink()
    html = build_report(open_run(only_rollouts))
    assert html.count("<svg") == 1 and "Early: step 1" in html


@given(st.text())
def test_text_block_never_yields_markup(text):
    tags = parse(text_block(text)).tags
    assert tags in (["pre"], ["pre", "i"])
