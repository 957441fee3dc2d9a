"""What the benchmarks and the browser tests share: Debian's Chromium and a local server's health.

Chromium is started with the flags this closed network needs (no background connections, no
component updates); Playwright never downloads a browser here.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request

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


def draw_stroke(page, *points: tuple[float, float], steps: int = 8, timeout_ms: float = 20_000) -> None:
    """Draw one stroke with the mouse through `points` (fractions of the canvas's width and
    height), `steps` mouse moves between each two points."""
    canvas = the_canvas(page, timeout_ms)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()

    def at(point):
        return box["x"] + point[0] * box["width"], box["y"] + point[1] * box["height"]

    page.mouse.move(*at(points[0]))
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*at(point), steps=steps)
    page.mouse.up()
