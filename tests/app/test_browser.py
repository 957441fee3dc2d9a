"""The page in a real browser: a `streamlit run` server driven by Chromium through Playwright.

Each test opens a fresh session and does what a person does: draws with the mouse, stroke by
stroke, on the canvas; clears it; uploads a picture; corrects a wrong answer. The page's test
hooks are its result elements, `<div class="digit-result" data-status=... data-digit=...
data-confidence=...>` (Draw tab) and `<div class="upload-result" ...>` (Upload tab).

Skipped when Chromium is missing (`make test` installs Debian's as root) or Playwright cannot
launch it. The module takes about half a minute.
"""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from bench.browser import CHROMIUM, draw_stroke

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

TIMEOUT_MS = 20_000  # the longest any one step may take in the browser

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
    """A fresh session of the page (its own browser context), loaded and ready to draw."""
    url, _ = server
    page = new_session(url, {"width": 1280, "height": 1000}, TIMEOUT_MS)
    expect(page.locator("canvas.upper-canvas")).to_be_visible()
    expect(draw_result(page)).to_have_attribute("data-status", "empty")
    return page


def draw_result(page):
    return page.locator(".digit-result")


def upload_result(page):
    return page.locator(".upload-result")


def stroke(page, *points: tuple[float, float]) -> None:
    draw_stroke(page, *points, timeout_ms=TIMEOUT_MS)


def draw_one(page) -> None:
    stroke(page, (0.5, 0.18), (0.5, 0.5), (0.5, 0.82))


def result_attributes(locator) -> tuple[str | None, ...]:
    return tuple(locator.get_attribute(name) for name in ("data-status", "data-digit", "data-confidence"))


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()


def png_bytes(digit_28x28) -> bytes:
    """An MNIST digit as a person would upload it: dark ink on white paper, 140x140 PNG."""
    image = Image.fromarray(255 - digit_28x28, "L").resize((140, 140), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_draw_one_stroke_by_stroke(page):
    draw_one(page)
    expect(draw_result(page)).to_have_attribute("data-status", "ok")
    expect(draw_result(page)).to_have_attribute("data-digit", "1")


def test_draw_seven_updates_after_each_stroke(page):
    result = draw_result(page)
    stroke(page, (0.25, 0.2), (0.5, 0.2), (0.75, 0.2))
    expect(result).not_to_have_attribute("data-status", "empty")
    after_bar = result_attributes(result)

    stroke(page, (0.75, 0.2), (0.6, 0.5), (0.45, 0.85))
    expect(result).to_have_attribute("data-digit", "7")
    expect(result).to_have_attribute("data-status", "ok")
    assert result_attributes(result) != after_bar, "the prediction did not change after the second stroke"


def test_clear_empties_the_canvas_and_the_result(page):
    draw_one(page)
    expect(draw_result(page)).to_have_attribute("data-digit", "1")
    page.get_by_role("button", name="Clear", exact=True).click()
    expect(draw_result(page)).to_have_attribute("data-status", "empty")
    expect(draw_result(page)).to_have_attribute("data-digit", "")
    expect(draw_result(page)).to_contain_text("Draw a digit")


def test_undo_takes_back_the_last_stroke(page):
    result = draw_result(page)
    undo = page.locator('[data-testid^="stBaseButton"]', has_text="Undo")  # ours, not the canvas toolbar's
    expect(undo).to_be_disabled()
    bar, diagonal = ((0.25, 0.2), (0.5, 0.2), (0.75, 0.2)), ((0.75, 0.2), (0.6, 0.5), (0.45, 0.85))
    stroke(page, *bar)
    expect(result).not_to_have_attribute("data-status", "empty")
    bar_only = result_attributes(result)
    stroke(page, *diagonal)
    expect(result).not_to_have_attribute("data-confidence", bar_only[2])
    expect(result).to_have_attribute("data-digit", "7")

    undo.click()  # back to the bar alone
    expect(result).to_have_attribute("data-confidence", bar_only[2])
    assert result_attributes(result) == bar_only
    stroke(page, *diagonal)  # drawing on after Undo keeps the strokes before it
    expect(result).not_to_have_attribute("data-confidence", bar_only[2])
    expect(result).to_have_attribute("data-digit", "7")

    undo.click()
    expect(result).to_have_attribute("data-confidence", bar_only[2])
    undo.click()
    expect(result).to_have_attribute("data-status", "empty")
    expect(undo).to_be_disabled()
    draw_one(page)
    expect(result).to_have_attribute("data-digit", "1")


def test_upload_mnist_digits(page, mnist_digits, tmp_path):
    images, labels = mnist_digits
    open_tab(page, "Upload")
    for index in (0, 1, 2):  # a 7, a 2 and a 1, one after the other into the same uploader
        path = tmp_path / f"digit-{index}.png"
        path.write_bytes(png_bytes(images[index]))
        page.locator("input[type=file]").set_input_files(str(path))
        expect(upload_result(page)).to_have_attribute("data-digit", str(labels[index]))
        expect(upload_result(page)).to_have_attribute("data-status", "ok")


def test_upload_corrupt_file_fails_with_a_message_and_page_keeps_working(page, mnist_digits, tmp_path):
    images, _ = mnist_digits
    whole = png_bytes(images[0])
    path = tmp_path / "bad.png"
    path.write_bytes(whole[: len(whole) // 2])  # a PNG cut off half way
    open_tab(page, "Upload")
    page.locator("input[type=file]").set_input_files(str(path))
    alert = page.locator('[data-testid="stAlert"]').filter(has_text="bad.png")
    expect(alert).to_contain_text("damaged or incomplete")
    expect(upload_result(page)).to_have_count(0)
    expect(page.get_by_text("Traceback")).to_have_count(0)

    open_tab(page, "Draw")
    draw_one(page)
    expect(draw_result(page)).to_have_attribute("data-digit", "1")
    expect(draw_result(page)).to_have_attribute("data-status", "ok")


def test_correct_a_prediction_saves_the_drawing(page, server):
    _, data_dir = server
    draw_one(page)
    expect(draw_result(page)).to_have_attribute("data-digit", "1")
    choose_correction(page, 7)
    page.get_by_role("button", name="Save correction", exact=True).click()
    expect(page.get_by_text("Saved as 7")).to_be_visible()

    pngs = sorted((data_dir / "7").glob("*.png"))
    assert len(pngs) == 1, f"expected one PNG under {data_dir / '7'}, found {pngs}"
    lines = [json.loads(line) for line in (data_dir / "index.jsonl").read_text().splitlines()]
    entry = next(line for line in lines if line.get("file") == f"7/{pngs[0].name}")
    assert entry["label"] == 7 and entry["predicted"] == 1
    with Image.open(pngs[0]) as saved:
        assert saved.size[0] >= 28 and saved.size[1] >= 28


def choose_correction(page, digit: int) -> None:
    """Pick `digit` in the "No, it was:" select box."""
    page.get_by_label("No, it was:").click()
    page.get_by_role("option", name=str(digit), exact=True).click()
