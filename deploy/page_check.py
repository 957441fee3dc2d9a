"""Draw a 1 in the served page with headless Chromium and print what the page read.

    $ .venv/app/bin/python -m deploy.page_check http://127.0.0.1:8599/     # from the project root
    {"status": "ok", "digit": "1", "confidence": "0.9991", "seconds": 3.2}

deploy/image.sh runs it against the smoke-test container, then reads the server's memory: the
first prediction of a first session is what a replica must have room for. Uses the page's test
hooks (`canvas.upper-canvas`, `<div class="digit-result" data-status=...>`), as
tests/app/test_browser.py does. Prints `skipped` when there is no Chromium; exits 1 with the
reason when the page shows no reading within TIMEOUT_MS.
"""

import json
import sys
import time

from playwright.sync_api import Error, sync_playwright

from bench.browser import CHROMIUM, CHROMIUM_ARGS, draw_stroke

TIMEOUT_MS = 60_000  # a cold server: first session, imports and model load


def draw_one(url: str) -> dict:
    started = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(url)
            page.locator(".digit-result[data-status='empty']").wait_for()
            draw_stroke(page, (0.5, 0.18), (0.5, 0.82), steps=10, timeout_ms=TIMEOUT_MS)
            result = page.locator(".digit-result:not([data-status='empty'])")
            result.wait_for()
            return {
                "status": result.get_attribute("data-status"),
                "digit": result.get_attribute("data-digit"),
                "confidence": result.get_attribute("data-confidence"),
                "seconds": round(time.monotonic() - started, 1),
            }
        finally:
            browser.close()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python deploy/page_check.py URL", file=sys.stderr)
        return 2
    if CHROMIUM is None:
        print("skipped")
        return 0
    try:
        reading = draw_one(argv[0])
    except Error as exc:  # Playwright's timeouts and launch failures
        print(f"page_check: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    print(json.dumps(reading))
    return 0 if reading["status"] in ("ok", "uncertain") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
