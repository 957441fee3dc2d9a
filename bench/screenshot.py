"""The README's screenshot: the app served locally, a 2 drawn with the mouse, the page captured.

    $ .venv/app/bin/python -m bench.screenshot [--output docs/screenshot.png]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench.browser import CHROMIUM, CHROMIUM_ARGS, draw_stroke
from bench.server import PAGES, RESULT, ROOT, STEP_TIMEOUT_MS, served

# A 2 in canvas fractions: the arc, the diagonal, the base.
TWO = [(0.30, 0.30), (0.40, 0.18), (0.55, 0.15), (0.68, 0.22), (0.70, 0.35), (0.62, 0.50),
       (0.48, 0.64), (0.32, 0.80), (0.50, 0.80), (0.72, 0.80)]


def capture(output: Path) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as data, served(PAGES[0], data) as (url, _, _):
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 860}, device_scale_factor=1)
            page.goto(url)
            draw_stroke(page, *TWO, steps=6, timeout_ms=STEP_TIMEOUT_MS)
            page.wait_for_function(
                "s => document.querySelector(s)?.getAttribute('data-status') === 'ok'", arg=RESULT, timeout=STEP_TIMEOUT_MS
            )
            page.mouse.move(5, 5)  # off the canvas: its hover toolbar hides
            page.wait_for_timeout(800)  # let the bars and pictures settle
            output.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(output))
            browser.close()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.screenshot", description=__doc__.split("\n")[0])
    p.add_argument("--output", type=Path, default=ROOT / "docs" / "screenshot.png")
    capture(p.parse_args(argv).output)


if __name__ == "__main__":
    main()
