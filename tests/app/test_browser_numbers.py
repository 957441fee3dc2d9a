"""A number written in a real browser: Chromium draws 1, 0 and 7 with the mouse, stroke by
stroke, across the Draw tab's wide canvas; the page reads 107, shows each digit, and a typed
correction saves the whole drawing and each digit's crop into the store.

Skipped when Chromium is missing or Playwright cannot launch it (tests/app/conftest.py).
"""

from __future__ import annotations

import json

import pytest
from PIL import Image

from bench.browser import CHROMIUM, write_digit

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

TIMEOUT_MS = 20_000
expect.set_options(timeout=TIMEOUT_MS)

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium not found at /usr/bin/chromium or on PATH (apt-get install chromium)"
)


@pytest.fixture(scope="module")
def server(streamlit_server):
    """The page served by `streamlit run` on a free port: (url, drawings folder)."""
    return streamlit_server()


@pytest.fixture
def page(new_session, server):
    """A fresh session on a laptop's screen, loaded and ready to draw."""
    url, _ = server
    page = new_session(url, {"width": 1280, "height": 1000}, TIMEOUT_MS)
    expect(page.locator("canvas.upper-canvas")).to_be_visible()
    expect(result(page)).to_have_attribute("data-status", "empty")
    return page


def result(page):
    return page.locator(".digit-result")


def write(page, number: str) -> None:
    """Write `number` across the canvas, digit by digit, waiting for the page to have read each
    stroke before the next (as a person's pauses between strokes give it)."""
    strokes = 0
    for i, digit in enumerate(number):
        strokes += write_digit(page, digit, (i + 1) / (len(number) + 1), timeout_ms=TIMEOUT_MS, drawn=strokes)


def test_a_number_written_stroke_by_stroke_is_read_and_its_correction_saved(page, server):
    _, data_dir = server
    box = page.locator("canvas.upper-canvas").bounding_box()
    assert box["width"] > 1.8 * box["height"], f"the canvas {box} is not wide enough for a number"

    write(page, "1")
    expect(result(page)).to_have_attribute("data-digit", "1")  # one digit: the digit's view
    expect(result(page)).not_to_have_attribute("data-kind", "number")

    page.get_by_role("button", name="Clear", exact=True).click()
    expect(result(page)).to_have_attribute("data-status", "empty")
    write(page, "107")
    expect(result(page)).to_have_attribute("data-kind", "number")
    expect(result(page)).to_have_attribute("data-number", "107")
    expect(result(page)).to_have_attribute("data-digits", "3")
    expect(result(page).locator("figure.dr-part")).to_have_count(3)

    # The 0 was meant as a 4: type the number it was.
    page.get_by_role("textbox", name="No, it was:").fill("147")
    page.get_by_role("button", name="Save correction", exact=True).click()
    expect(page.get_by_text("Saved 147, with its 3 digits")).to_be_visible()
    expect(result(page)).to_have_attribute("data-status", "empty")  # a fresh canvas for the next one

    entries = [json.loads(line) for line in (data_dir / "index.jsonl").read_text().splitlines()]
    [whole] = [e for e in entries if e.get("number")]
    assert (whole["number"], whole["predicted"]) == ("147", "107")
    with Image.open(data_dir / whole["file"]) as saved:
        assert saved.size == (int(box["width"]), int(box["height"]))  # the whole drawing
    parts = [e for e in entries if e.get("part_of") == whole["file"]]
    assert [(e["label"], e["predicted"]) for e in parts] == [(1, 1), (4, 0), (7, 7)]
    for entry in parts:
        assert (data_dir / entry["file"]).is_file() and entry["file"].startswith(f"{entry['label']}/")
        with Image.open(data_dir / entry["file"]) as crop:
            assert crop.height > 0.5 * box["height"] and crop.width < 0.4 * box["width"]  # one digit, not the drawing


def test_a_bad_correction_says_what_to_type(page, server):
    write(page, "71")
    expect(result(page)).to_have_attribute("data-number", "71")
    page.get_by_role("textbox", name="No, it was:").fill("7l")
    page.get_by_role("button", name="Save correction", exact=True).click()
    expect(page.locator('[data-testid="stAlert"]')).to_contain_text("type digits only (0-9)")
    expect(result(page)).to_have_attribute("data-number", "71")  # nothing lost
