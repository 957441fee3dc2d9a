"""The page in Chromium at the screen sizes people use, with a mouse and with a finger.

At each width the canvas must be whole, inside the screen and on top at each of its corners
(nothing covers it: not the result, not the canvas component's own toolbar), the title and
tabs clear of Streamlit's header, and a digit drawn there must be read. On a phone-sized touch
screen, strokes that start in any corner draw, and no tap wipes the drawing. Switching the pen
colours keeps the drawing. One server for the module, one browser, a fresh context per test.
"""

from __future__ import annotations

import pytest

from bench.browser import (
    CHROMIUM,
    canvas_pixel,
    corners,
    draw_stroke,
    element_at,
    settled_canvas,
    touch_stroke,
)

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

TIMEOUT_MS = 20_000
expect.set_options(timeout=TIMEOUT_MS)

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium not found at /usr/bin/chromium or on PATH (apt-get install chromium)"
)

# (width, height, touch): a phone, a tablet upright, a laptop, a desktop, a wide desktop.
SCREENS = [(390, 844, True), (768, 1024, True), (1024, 768, False), (1280, 900, False), (1920, 1080, False)]


@pytest.fixture(scope="module")
def url(streamlit_server):
    url, _ = streamlit_server()
    return url


def open_page(browser, url, width: int, height: int, touch: bool):
    context = browser.new_context(viewport={"width": width, "height": height}, has_touch=touch, is_mobile=touch)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(url)
    expect(page.locator(".digit-result")).to_have_attribute("data-status", "empty")
    return page


@pytest.fixture
def phone(browser, url):
    page = open_page(browser, url, 390, 844, touch=True)
    yield page
    page.context.close()


def result(page):
    return page.locator(".digit-result")


def covered_corners(page, box) -> dict[str, str | None]:
    """The corners of `box` where something other than the canvas is on top."""
    return {
        name: what
        for name, (x, y) in corners(box).items()
        if "upper-canvas" not in (what := element_at(page, x, y) or "").split(".", 1)[-1].split()
    }


@pytest.mark.parametrize("width, height, touch", SCREENS, ids=[f"{w}px" for w, _, _ in SCREENS])
def test_canvas_whole_uncovered_and_read_at_every_width(browser, url, width, height, touch):
    page = open_page(browser, url, width, height, touch)
    try:
        canvas = settled_canvas(page)
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"canvas {box} is not inside {width} px"
        assert covered_corners(page, box) == {}
        if width < 600:  # a phone: the canvas takes the screen's width, the answer goes under it
            assert box["width"] >= 0.85 * width
        answer = result(page).bounding_box()
        beside = answer["x"] >= box["x"] + box["width"]
        below = answer["y"] >= box["y"] + box["height"]
        assert beside or below, f"the result {answer} overlaps the canvas {box}"
        assert beside == (width > 600), f"at {width} px the result should be {'beside' if width > 600 else 'under'} the canvas"

        page.evaluate("window.scrollTo(0, 0)")
        for target, selector in (("title", "h1.dr-title"), ("Draw tab", "[role=tab]")):
            where = page.locator(selector).first.bounding_box()
            x, y = where["x"] + min(where["width"] / 2, 20), where["y"] + where["height"] / 2
            assert page.evaluate(
                "([x, y, s]) => !!document.elementFromPoint(x, y)?.closest(s)", [x, y, selector]
            ), f"the {target} is covered at {width} px (by {element_at(page, x, y)})"

        draw_stroke(page, (0.5, 0.18), (0.5, 0.5), (0.5, 0.82), timeout_ms=TIMEOUT_MS)
        expect(result(page)).to_have_attribute("data-digit", "1")
    finally:
        page.context.close()


@pytest.mark.parametrize("corner", ["top-left", "top-right", "bottom-left", "bottom-right"])
def test_a_touch_stroke_from_each_corner_draws(phone, corner):
    canvas = settled_canvas(phone)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    start = corners(box, inset=6)[corner]
    middle = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    touch_stroke(phone, start, middle)
    expect(result(phone)).not_to_have_attribute("data-status", "empty")
    ink = canvas_pixel(phone, *start)
    assert max(ink[:3]) < 100, f"no ink where the stroke started ({corner}: {ink})"


def test_touch_draws_a_seven_from_the_top_right_and_taps_wipe_nothing(phone):
    canvas = settled_canvas(phone)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()

    def at(fx, fy):
        return box["x"] + fx * box["width"], box["y"] + fy * box["height"]

    touch_stroke(phone, at(0.2, 0.12), at(0.96, 0.04))  # the bar, ending in the top-right corner
    expect(result(phone)).not_to_have_attribute("data-status", "empty")
    touch_stroke(phone, at(0.96, 0.04), at(0.6, 0.5), at(0.4, 0.92))  # starting there
    expect(result(phone)).to_have_attribute("data-digit", "7")
    seven = result(phone).get_attribute("data-confidence")

    # Where the component's toolbar used to wait (its Reset was in the top-right corner).
    for fx in (0.99, 0.93, 0.86, 0.78, 0.7):
        phone.touchscreen.tap(*at(fx, 0.015))
    phone.wait_for_timeout(800)
    assert max(canvas_pixel(phone, *at(0.6, 0.5))[:3]) < 100, "the seven was wiped"
    assert result(phone).get_attribute("data-status") != "empty"
    touch_stroke(phone, at(0.1, 0.9), at(0.12, 0.92))  # still drawing, not moving strokes
    expect(result(phone)).not_to_have_attribute("data-confidence", seven)
    assert result(phone).get_attribute("data-digit") == "7"


@pytest.mark.parametrize("width", [390, 1280], ids=["phone row", "sidebar"])
def test_switching_colours_keeps_the_drawing(browser, url, width):
    page = open_page(browser, url, width, 900, touch=False)
    try:
        canvas = settled_canvas(page)
        draw_stroke(page, (0.5, 0.18), (0.5, 0.5), (0.5, 0.82), timeout_ms=TIMEOUT_MS)
        expect(result(page)).to_have_attribute("data-digit", "1")
        box = canvas.bounding_box()
        centre, paper = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2), (box["x"] + 10, box["y"] + 10)
        assert max(canvas_pixel(page, *centre)[:3]) < 60 and min(canvas_pixel(page, *paper)[:3]) > 200

        if width > 600:
            page.locator('[data-testid="stSidebar"]').get_by_text("Light pen on dark paper").click()
        else:
            page.locator(".st-key-dr-pen-row").get_by_text("Light on dark").click()
        page.wait_for_function(
            "() => { const c = document.querySelector('[data-testid=stBidiComponentIsolated]')"
            "?.shadowRoot?.querySelector('canvas.dc-canvas.lower-canvas');"
            " return c && c.getContext('2d').getImageData(10, 10, 1, 1).data[0] < 40; }"
        )
        canvas = settled_canvas(page)
        box = canvas.bounding_box()
        centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        assert min(canvas_pixel(page, *centre)[:3]) > 200, "the stroke is not there, in the light pen"
        expect(result(page)).to_have_attribute("data-digit", "1")
        expect(page.locator('[data-testid^="stBaseButton"]', has_text="Undo")).to_be_enabled()
    finally:
        page.context.close()


@pytest.mark.parametrize(
    "name, size, words",
    [
        ("photo.png", 11_000_000, "is 10.5 MB; the page takes pictures up to 10 MB"),  # the page's own check
        ("huge.jpg", 13_000_000, "is 13.0 MB; the page takes pictures up to 10 MB"),  # refused by Streamlit first
        ("notes.pdf", 40, "is not a picture in a format we read"),
    ],
    ids=["over 10 MB", "over Streamlit's limit", "not a picture"],
)
def test_a_refused_upload_says_why(browser, url, tmp_path, name, size, words):
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.4 not a picture\n".ljust(size, b"\0") if size < 1000 else bytes(size))
    page = open_page(browser, url, 1024, 768, touch=False)
    try:
        page.get_by_role("tab", name="Upload").click()
        page.locator("input[type=file]").set_input_files(str(path))
        alert = page.locator('[data-testid="stAlert"]').filter(has_text=name)
        expect(alert).to_contain_text(words)
        expect(alert).to_be_visible()
        expect(page.locator(".upload-result")).to_have_count(0)
    finally:
        page.context.close()


def test_twenty_undos_each_take_back_one_stroke(browser, url):
    page = open_page(browser, url, 1280, 900, touch=False)
    strokes = page.locator(".dr-state")
    undo = page.locator('[data-testid^="stBaseButton"]', has_text="Undo")
    grid = [(0.1 + 0.2 * (i % 5), 0.1 + 0.2 * (i // 5)) for i in range(22)]  # 22 short marks, apart
    try:
        settled_canvas(page)
        for n, (x, y) in enumerate(grid, start=1):
            draw_stroke(page, (x, y), (x + 0.04, y + 0.03), timeout_ms=TIMEOUT_MS, across=True)
            expect(strokes).to_have_attribute("data-strokes", str(n))
        for n in range(21, 1, -1):
            undo.click()
            expect(strokes).to_have_attribute("data-strokes", str(n))
        expect(undo).to_be_disabled()  # the drawing before these two is no longer kept
        box = settled_canvas(page).bounding_box()

        def ink_at(x, y):
            return max(canvas_pixel(page, box["x"] + x * box["width"], box["y"] + y * box["height"])[:3]) < 100

        assert [ink_at(*grid[i]) for i in range(4)] == [True, True, False, False]
    finally:
        page.context.close()


def test_resizing_keeps_the_canvas_whole_and_the_drawing(browser, url):
    """One session through the widths between the common ones (320 to 2560 px): a window
    resized, a phone turned, the drawing made at the first still there, at the new size."""
    page = open_page(browser, url, 1280, 900, touch=False)
    try:
        settled_canvas(page)
        draw_stroke(page, (0.5, 0.18), (0.5, 0.5), (0.5, 0.82), timeout_ms=TIMEOUT_MS)
        expect(result(page)).to_have_attribute("data-digit", "1")
        for width in (320, 641, 820, 1100, 1240, 2560, 390):
            page.set_viewport_size({"width": width, "height": 900})
            canvas = settled_canvas(page)
            canvas.scroll_into_view_if_needed()
            box = canvas.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"canvas {box} is not inside {width} px"
            assert covered_corners(page, box) == {}, f"at {width} px"
            centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            assert max(canvas_pixel(page, *centre)[:3]) < 60, f"the stroke is gone at {width} px"
            assert result(page).get_attribute("data-digit") == "1"
    finally:
        page.context.close()
