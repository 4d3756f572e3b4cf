"""The HTML report in headless Chromium: renders, shows its plots, logs no errors, fetches
nothing. Needs the Debian package `chromium`; with CI set, a missing browser fails the test."""
import base64
import io
import os

import pytest
from inspect_cdp import Browser, console_errors, find_chromium, requested_urls
from PIL import Image

PROBE = """(async () => {
  const figs = [...document.querySelectorAll('figure')].map(f => {
    const s = f.querySelector(':scope > svg');
    const r = s ? s.getBoundingClientRect() : {width: 0, height: 0};
    return {w: r.width, h: r.height, marks: s ? s.querySelectorAll('path, use, image').length : 0};
  });
  const rasters = await Promise.all([...document.querySelectorAll('svg image')].map(async el => {
    const img = new Image(); img.src = el.getAttribute('xlink:href') || el.getAttribute('href');
    await img.decode(); return img.naturalWidth * img.naturalHeight;
  }));
  return {figs, rasters, scripts: document.scripts.length, imgs: document.images.length,
          text: document.body.innerText, height: document.documentElement.scrollHeight};
})()"""


@pytest.fixture(scope="module")
def browser():
    binary = find_chromium()
    if binary is None:
        msg = "chromium not found (Debian: apt-get install chromium; or set CHROMIUM=/path)"
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(msg + " -- CI is set, so this is a failure")
        pytest.skip(msg)
    b = Browser(binary)
    yield b
    b.close()


def test_report_renders_in_chromium(browser, report_file):
    session = browser.open_page(report_file.resolve().as_uri())
    result = browser.send("Runtime.evaluate", {"expression": PROBE, "awaitPromise": True,
                                               "returnByValue": True}, session=session)
    assert "exceptionDetails" not in result, result
    page = result["result"]["value"]

    assert len(page["figs"]) >= 10  # agreement heatmap + metric panels
    for fig in page["figs"]:
        assert fig["w"] > 200 and fig["h"] > 100, fig
        assert fig["marks"] > 5, fig  # axes, ticks and lines were drawn
    assert page["rasters"] and all(px > 0 for px in page["rasters"])  # heatmap PNG decodes
    # Model text stayed text: the hostile <script>/<img> in the fixture did not become markup.
    assert page["scripts"] == 0 and page["imgs"] == 0
    assert '<script>alert("pwned")</script>' in page["text"]
    assert "Sample rollouts" in page["text"] and "What is" in page["text"]

    shot = browser.send("Page.captureScreenshot", {"format": "png"}, session=session)
    pixels = Image.open(io.BytesIO(base64.b64decode(shot["data"]))).convert("L")
    assert pixels.getextrema()[0] < 100  # not a blank page

    assert console_errors(browser.events, session) == []
    assert all(u.startswith(("file:", "data:")) for u in requested_urls(browser.events, session))


def test_error_probe_catches_broken_page(browser, tmp_path):
    """The check above would notice a console error and an outside fetch (guards the guard)."""
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><script>console.error('boom'); undefinedFn();</script>"
                   "<img src='http://127.0.0.1:9/x.png'></body></html>")
    session = browser.open_page(bad.resolve().as_uri())
    errors = console_errors(browser.events, session)
    assert any("boom" in e for e in errors) and any("exception" in e for e in errors)
    assert any(u.startswith("http://") for u in requested_urls(browser.events, session))
