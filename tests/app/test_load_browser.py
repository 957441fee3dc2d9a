"""The load benchmark's simulated stroke against a real browser: Chromium draws an MNIST digit's
strokes with the mouse on the page, a simulated visitor (bench/visitor.py) sends the canvas
reports for the same strokes, and after every stroke both get the same answer: the same digit,
as sure within a few points (the browser's anti-aliasing differs a little), or both "not sure".
The simulated message is the browser's: same widget, same fragment, same report shape.

Skipped where Chromium or Playwright is missing.
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench import replica
from bench.browser import CHROMIUM, draw_stroke
from bench.drawing import CANVAS_HEIGHT, CANVAS_WIDTH, mnist_drawings
from bench.protocol import Tab, attribute
from bench.visitor import canvas_key

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium not found at /usr/bin/chromium or on PATH")

TIMEOUT_MS = 20_000
CARD = ("data-status", "data-digit", "data-confidence")
# Digits of the fixture drawn in two strokes (4, 4, 9); the first stroke alone of the last two
# reads as something else, so every answer counts. (The 5 at index 8 sits on the "not sure"
# threshold with the current model: Chromium's anti-aliasing puts it on one side, Pillow's on
# the other; so does the first stroke of the 4 at index 6, read as a number on the wide canvas.)
DIGITS = [4, 19, 7]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with replica.replica(str(tmp_path_factory.mktemp("drawings"))) as server:
        yield server



def in_browser(browser, url: str, drawing) -> tuple[list[tuple], list[bytes]]:
    """Draw `drawing` with the mouse; the result card after each stroke, and the websocket
    frames the browser sent."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(frame)))
    try:
        page.goto(url)
        page.locator("canvas.upper-canvas").wait_for(state="visible", timeout=TIMEOUT_MS)
        card = page.locator(".digit-result")
        card.wait_for(state="attached", timeout=TIMEOUT_MS)
        answers = []
        for stroke in drawing.strokes:
            before = card.evaluate("e => e.outerHTML")
            points = [(x / CANVAS_WIDTH, y / CANVAS_HEIGHT) for x, y in stroke]
            draw_stroke(page, *points, steps=2, timeout_ms=TIMEOUT_MS, across=True)
            page.wait_for_function(
                "b => document.querySelector('.digit-result')?.outerHTML !== b", arg=before, timeout=TIMEOUT_MS
            )
            answers.append(tuple(card.get_attribute(a) for a in CARD))
    finally:
        page.close()
    return answers, [f if isinstance(f, bytes) else f.encode("latin1") for f in sent]


def simulated(url: str, drawing) -> tuple[list[tuple], list]:
    """Send the drawing's canvas reports as a simulated visitor; the result card after each,
    and the rerun requests it sent."""

    async def visit():
        tab = Tab(url)
        await tab.open()
        answers, requests = [], []
        try:
            for report in drawing.reports:
                key = canvas_key(tab)
                run = await tab.rerun({key: {"json_value": report}}, fragment=key)
                html, _ = run.html("digit-result")
                answers.append(tuple(attribute(html, a) for a in CARD))
                requests.append((tab.widgets[key], tab.fragment_of[tab.widgets[key]]))
        finally:
            await tab.close()
        return answers, requests

    # Playwright's sync API owns this thread's event loop; the visitor gets its own.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, visit()).result()


def canvas_reports(frames: list[bytes]) -> list[tuple[str, str, dict]]:
    """(widget id, fragment id, report) of each canvas report in the browser's BackMsgs."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    found = []
    for frame in frames:
        message = BackMsg()
        message.ParseFromString(frame)
        if message.WhichOneof("type") != "rerun_script":
            continue
        for state in message.rerun_script.widget_states.widgets:
            if state.WhichOneof("value") == "json_value" and "canvas-" in state.id:
                found.append((state.id, message.rerun_script.fragment_id, json.loads(state.json_value)))
    return found


@pytest.mark.parametrize("index", DIGITS)
def test_a_simulated_stroke_gets_the_answer_the_page_shows(browser, server, index):
    drawing = mnist_drawings(1, start=index)[0]
    shown, frames = in_browser(browser, server.url, drawing)
    answered, requests = simulated(server.url, drawing)
    assert [a[0] for a in answered] == [s[0] for s in shown]
    # A sure answer is the same digit, nearly as sure; "not sure" is the answer itself (its best
    # guess, below 50 %, may differ with the browser's anti-aliasing).
    for a, s in zip(answered, shown):
        if s[0] == "ok":
            assert a[1] == s[1] and abs(float(a[2]) - float(s[2])) < 0.05
    assert answered[-1][1] == str(drawing.label)
    # The browser sent the same kind of message to the same widget in the same fragment.
    reports = canvas_reports(frames)
    assert [(widget, fragment) for widget, fragment, _ in reports[-len(requests):]] == requests
    browser_report, ours = reports[-1][2], json.loads(drawing.reports[-1])
    assert browser_report.keys() == ours.keys() and browser_report["drawing"].keys() == ours["drawing"].keys()
    assert [o.keys() for o in browser_report["drawing"]["raw"]["objects"]] == [o.keys() for o in ours["drawing"]["raw"]["objects"]]
    assert browser_report["drawing"]["data"].startswith("data:image/png;base64,")
