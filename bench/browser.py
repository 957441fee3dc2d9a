"""What the benchmarks and the browser tests share: Debian's Chromium and a local server's health.

Chromium is started with the flags this closed network needs (no background connections, no
component updates); Playwright never downloads a browser here.
"""

from __future__ import annotations

import math
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

CHROMIUM = "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else shutil.which("chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    """True when the Streamlit server at `url` answers its health check with `ok`."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().strip() == b"ok"
    except OSError:
        return False


def stop(process: subprocess.Popen, grace: float = 10) -> None:
    """End a server process: politely, then by force after `grace` seconds."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def streamlit_page(env: dict[str, str], log_path: Path, start_timeout: float = 60, page: str = "app/main.py"):
    """`streamlit run` of the page on a free port of 127.0.0.1 with `env` added to the
    environment; yields its URL once healthy, stops it afterwards. RuntimeError (with the end of
    the server's log) when it exits or does not answer in `start_timeout` seconds."""
    url = f"http://127.0.0.1:{free_port()}"
    command = [
        sys.executable, "-m", "streamlit", "run", page,
        "--server.port", url.rsplit(":", 1)[1], "--server.address", "127.0.0.1",
        "--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + start_timeout
        while not healthy(url):
            if process.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {process.returncode}:\n{log_path.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not answer {url}/_stcore/health within {start_timeout} s")
            time.sleep(0.2)
        yield url
    finally:
        stop(process)


def the_canvas(page, timeout_ms: float):
    """The page's drawing surface (a Playwright locator), once there is exactly one: after Clear
    or Undo a new canvas replaces the old, and for a moment both are in the page (inside the
    component's shadow root, which locators see into and `document.querySelector` does not)."""
    canvases = page.locator("canvas.upper-canvas")
    deadline = time.monotonic() + timeout_ms / 1000
    while canvases.count() != 1:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{canvases.count()} drawing canvases in the page after {timeout_ms:g} ms, expected 1")
        page.wait_for_timeout(50)
    return canvases


def draw_stroke(
    page, *points: tuple[float, float], steps: int = 8, timeout_ms: float = 20_000, across: bool = False
) -> None:
    """Draw one stroke with the mouse through `points`, `steps` mouse moves between each two
    points. The points are fractions of a square as high as the canvas in its middle (one digit
    drawn at the canvas's height, whatever its width; on a square canvas, the whole canvas), or,
    with `across`, fractions of the canvas's width and height."""
    canvas = the_canvas(page, timeout_ms)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    width = box["width"] if across else min(box["width"], box["height"])
    left = box["x"] + (box["width"] - width) / 2

    def at(point):
        return left + point[0] * width, box["y"] + point[1] * box["height"]

    page.mouse.move(*at(points[0]))
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*at(point), steps=steps)
    page.mouse.up()


# Digits as a person writes them with the mouse: strokes through points (dx, dy) from the digit's
# centre, in canvas heights (0.3 high: a digit 60 % of the canvas's height).
_ELLIPSE = [(0.11 * math.sin(2 * math.pi * i / 16), -0.3 * math.cos(2 * math.pi * i / 16)) for i in range(17)]
DIGIT_STROKES = {
    "0": [_ELLIPSE],
    "1": [[(0.0, -0.3), (0.0, 0.0), (0.0, 0.3)]],
    "4": [[(-0.02, -0.3), (-0.12, 0.08), (0.12, 0.08)], [(0.06, -0.12), (0.06, 0.3)]],
    "7": [[(-0.12, -0.28), (0.12, -0.28)], [(0.12, -0.28), (0.04, 0.0), (-0.04, 0.3)]],
}


def write_digit(page, digit: str, at: float, timeout_ms: float = 20_000, drawn: int | None = None) -> int:
    """Write `digit` (one of DIGIT_STROKES) with the mouse, stroke by stroke, centred at `at`
    (a fraction of the canvas's width) halfway down; the number of strokes drawn. With `drawn`
    (the strokes on the canvas before), each stroke waits until the Draw tab has read it (its
    `.dr-state` hook counts it), as a person's pause between strokes lets it."""
    box = the_canvas(page, timeout_ms).bounding_box()
    scale = box["height"] / box["width"]
    for points in DIGIT_STROKES[digit]:
        draw_stroke(page, *[(at + dx * scale, 0.5 + dy) for dx, dy in points], timeout_ms=timeout_ms, across=True)
        if drawn is not None:
            drawn += 1
            page.wait_for_function(
                "n => document.querySelector('.dr-state')?.dataset.strokes === String(n)", arg=drawn, timeout=timeout_ms
            )
    return len(DIGIT_STROKES[digit])


# Whether the page has laid the Draw tab out for the width it has now: the width it last drew
# from (its `.dr-state` hook) is the width of the block it measures, and the one canvas is the
# side it chose.
_LAID_OUT = """() => {
  const state = document.querySelector(".dr-state");
  const probe = document.querySelector(".st-key-dr-viewport");
  const block = probe && probe.closest('[data-testid="stVerticalBlock"]');
  if (!state || !block || !state.dataset.width) return false;
  const canvases = [...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')]
    .map((host) => host.shadowRoot && host.shadowRoot.querySelector("canvas.upper-canvas")).filter(Boolean);
  if (canvases.length !== 1) return false;
  const width = block.getBoundingClientRect().width;
  return Math.abs(width - Number(state.dataset.width)) < 4
    && Math.round(canvases[0].getBoundingClientRect().width) === Number(state.dataset.side);
}"""


def settled_canvas(page, timeout_ms: float = 20_000, quiet_ms: int = 300):
    """The drawing canvas once the page has laid it out for the width it has (it measures the
    width in the browser, then may remake the canvas at the size that fits) and it has stayed
    so for `quiet_ms`."""
    deadline = time.monotonic() + timeout_ms / 1000
    since = None
    while True:
        if page.evaluate(_LAID_OUT):
            since = since or time.monotonic()
            if (time.monotonic() - since) * 1000 >= quiet_ms:
                return the_canvas(page, timeout_ms)
        else:
            since = None
        if time.monotonic() > deadline:
            raise TimeoutError(f"the page did not lay the canvas out within {timeout_ms:g} ms")
        page.wait_for_timeout(100)


# The element a click or tap at (x, y) would reach, looking into shadow roots (the canvas
# component draws inside one); described as "tag.class class".
_ELEMENT_AT = """([x, y]) => {
  let element = document.elementFromPoint(x, y);
  while (element && element.shadowRoot) {
    const inner = element.shadowRoot.elementFromPoint(x, y);
    if (!inner || inner === element) break;
    element = inner;
  }
  return element ? `${element.tagName.toLowerCase()}.${element.getAttribute("class") || ""}` : null;
}"""


def element_at(page, x: float, y: float) -> str | None:
    """What is on top at viewport point (x, y), e.g. "canvas.dc-canvas upper-canvas", or None."""
    return page.evaluate(_ELEMENT_AT, [x, y])


def corners(box: dict, inset: float = 2) -> dict[str, tuple[float, float]]:
    """The four corner points of a bounding box, `inset` pixels inside it."""
    left, top = box["x"] + inset, box["y"] + inset
    right, bottom = box["x"] + box["width"] - inset, box["y"] + box["height"] - inset
    return {"top-left": (left, top), "top-right": (right, top), "bottom-left": (left, bottom), "bottom-right": (right, bottom)}


def touch_stroke(page, *points: tuple[float, float], steps: int = 8) -> None:
    """One stroke with a finger through viewport `points`, as a touch screen sends it (Chrome
    DevTools' Input.dispatchTouchEvent; the page's context needs has_touch=True)."""
    session = page.context.new_cdp_session(page)
    try:
        def touch(kind: str, x: float | None = None, y: float | None = None) -> None:
            at = [] if x is None else [{"x": x, "y": y, "radiusX": 4, "radiusY": 4, "force": 1, "id": 1}]
            session.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": at})

        touch("touchStart", *points[0])
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            for i in range(1, steps + 1):
                touch("touchMove", x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps)
                page.wait_for_timeout(8)
        touch("touchEnd")
    finally:
        session.detach()


def canvas_pixel(page, x: float, y: float) -> tuple[int, int, int, int]:
    """The RGBA value the canvas shows at viewport point (x, y) (its drawing layer, in CSS pixels:
    the component draws without retina scaling)."""
    drawing = page.locator("canvas.dc-canvas.lower-canvas")
    box = drawing.bounding_box()
    return tuple(drawing.evaluate(
        "(c, [x, y]) => Array.from(c.getContext('2d').getImageData(x, y, 1, 1).data)",
        [round(x - box["x"]), round(y - box["y"])],
    ))
