"""The page as served: start-up time, server memory, and stroke -> prediction on screen in Chromium.

    $ .venv/train/bin/python -m bench.server [--strokes 20]       # part of `make bench`

Our page runs in the app environment (`.venv/app/bin/python -m streamlit run app/main.py`), so
its memory is the app's, without TensorFlow. Start-up is process start -> /_stcore/health
answering "ok" (median of 3). Memory is the streamlit process's VmRSS after the first prediction
in the browser. Latency is timed inside Chromium: `performance.now()` at the mouse-up that ends a
stroke, to the first change of the page's result element after it (a MutationObserver); each
stroke is drawn on a cleared canvas. For a number, 1071 is written across the cleared canvas
stroke by stroke (each stroke's answer waited for) and the last stroke is timed: its mouse-up to
the page showing the number (on the bare canvas, to its next change). Each answer is also timed
to the moment the server's message carrying it reaches the browser (a WebSocket wrapped before
the page loads): the rest is the browser's, Streamlit's frontend rendering the rerun's elements.
The same strokes go to two comparison pages in
bench/pages/: the canvas alone (the floor: the component's 200 ms debounce plus a rerun) and a
tutorial-style page running Keras in the rerun (in the training environment). Targets: start
<= 5 s, RSS <= 300 MB, stroke -> prediction p50 <= 290 ms. Writes bench/out/server.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from app.contract import DATA_ENV, KERAS_MODEL, PROJECT_ROOT
from app.layout import for_width
from bench.browser import CHROMIUM, CHROMIUM_ARGS, DIGIT_STROKES, draw_stroke, free_port, healthy, stop, the_canvas

ROOT = PROJECT_ROOT
OUT = Path(__file__).resolve().parent / "out" / "server.json"
APP_PYTHON = ROOT / ".venv" / "app" / "bin" / "python"
TRAIN_PYTHON = ROOT / ".venv" / "train" / "bin" / "python"
RESULT = ".digit-result"  # the test hook every measured page renders
START_TIMEOUT = 60  # seconds
STEP_TIMEOUT_MS = 20_000
WARMUP_STROKES = 2  # the first reruns import and load; not what a person drawing sees
NUMBER = "1071"  # the 4-digit number written for the number figure
CANVAS = for_width(None)  # the canvas at 1280x1000, the viewport measured
NUMBER_PAGES = ("our page", "bare canvas")  # the tutorial page reads one digit on a square canvas
TARGETS = {"start_seconds": 5.0, "rss_mb": 300.0, "stroke_to_prediction_p50_ms": 290.0}

# Records, inside the page, when each stroke ends and when the result element next changes.
INSTALL_PROBE = """selector => {
    const signature = () => { const el = document.querySelector(selector); return el ? el.outerHTML : null; };
    const probe = {ups: [], changes: [], last: signature()};
    window.addEventListener("mouseup", () => probe.ups.push(performance.now()), true);
    new MutationObserver(() => {
        const now = signature();
        if (now !== probe.last) { probe.last = now; probe.changes.push({t: performance.now(), html: now}); }
    }).observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
    window.__probe = probe;
}"""


# Installed before the page's own scripts: when each message from the server that carries a
# non-empty result element arrives (Streamlit's deltas are protobuf; the HTML is plain UTF-8 in it).
INSTALL_SOCKET_PROBE = """() => {
    const Socket = window.WebSocket;
    const text = new TextDecoder();
    window.__arrivals = [];
    window.WebSocket = function (...args) {
        const socket = new Socket(...args);
        socket.addEventListener("message", event => {
            const body = typeof event.data === "string" ? event.data : event.data instanceof ArrayBuffer ? text.decode(event.data) : "";
            if (body.includes("digit-result") && !body.includes('data-status="empty"')) window.__arrivals.push(performance.now());
        });
        return socket;
    };
    for (const name of ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]) window.WebSocket[name] = Socket[name];
    window.WebSocket.prototype = Socket.prototype;
    // ms from `up` to the first such message after it, or null
    window.__arrivedAfter = up => {
        const arrived = window.__arrivals.find(t => t > up);
        return arrived === undefined ? null : arrived - up;
    };
}"""


@dataclass(frozen=True)
class Page:
    name: str
    python: Path
    script: str


PAGES = [
    Page("our page", APP_PYTHON, "app/main.py"),
    Page("bare canvas", APP_PYTHON, "bench/pages/bare_canvas.py"),
    Page("keras tutorial", TRAIN_PYTHON, "bench/pages/keras_tutorial.py"),
]


@contextmanager
def served(page: Page, data_dir: str):
    """Run `streamlit run` for `page`; yields (url, process, seconds until healthy)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        str(page.python), "-m", "streamlit", "run", page.script,
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]
    env = dict(os.environ, **{DATA_ENV: data_dir}, TF_CPP_MIN_LOG_LEVEL="2")
    log = tempfile.TemporaryFile()
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        while not healthy(url):
            if process.poll() is not None or time.perf_counter() - started > START_TIMEOUT:
                log.seek(0)
                raise RuntimeError(f"{page.script} did not start:\n{log.read().decode(errors='replace')[-2000:]}")
            time.sleep(0.05)
        yield url, process, time.perf_counter() - started
    finally:
        stop(process)
        log.close()


def rss_mb(pid: int) -> float:
    """Resident memory of process `pid` in MB (VmRSS from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def stroke(page, i: int) -> None:
    """One stroke of a 1, a little further right each time, in 10 mouse moves."""
    x = 0.35 + 0.05 * (i % 6)
    draw_stroke(page, (x, 0.18), (x, 0.82), steps=10, timeout_ms=STEP_TIMEOUT_MS)


def clear(page) -> None:
    """Click the page's Clear button and wait for an empty result and a fresh canvas."""
    page.get_by_role("button", name="Clear", exact=True).click()
    page.wait_for_function(
        "s => document.querySelector(s)?.getAttribute('data-status') === 'empty'", arg=RESULT, timeout=STEP_TIMEOUT_MS
    )
    # The one canvas (the old one may still be going: the_canvas waits for one, this for its showing).
    the_canvas(page, STEP_TIMEOUT_MS).first.wait_for(state="visible", timeout=STEP_TIMEOUT_MS)
    page.wait_for_timeout(300)  # let the rerun that the click started finish before the next stroke


def stroke_to_prediction_ms(page, i: int) -> tuple[float, float | None]:
    """Draw stroke `i` on the cleared canvas; ms from its mouse-up to the result changing from
    empty, and to the server's message with that result reaching the browser (None if none did)."""
    seen = page.evaluate("window.__probe.changes.length")
    stroke(page, i)
    page.wait_for_function(
        """seen => window.__probe.changes.slice(seen).some(c => c.html && !c.html.includes('data-status="empty"'))""",
        arg=seen,
        timeout=STEP_TIMEOUT_MS,
    )
    return page.evaluate(
        """seen => {
            const up = window.__probe.ups.at(-1);
            const change = window.__probe.changes.slice(seen).find(c => c.t > up && c.html && !c.html.includes('data-status="empty"'));
            return [change.t - up, window.__arrivedAfter(up)];
        }""",
        seen,
    )


def number_strokes(number: str = NUMBER) -> list[list[tuple[float, float]]]:
    """The strokes that write `number` across the page's canvas (fractions of its width and
    height), digit by digit (bench/browser.py DIGIT_STROKES)."""
    aspect = CANVAS.height / CANVAS.width
    out = []
    for i, digit in enumerate(number):
        at = (i + 1) / (len(number) + 1)
        out += [[(at + dx * aspect, 0.5 + dy) for dx, dy in points] for points in DIGIT_STROKES[digit]]
    return out


def number_to_reading_ms(page) -> tuple[float, float | None, str | None]:
    """Write NUMBER on the cleared canvas; ms from the last stroke's mouse-up to the result's
    next change and to the server's message with it reaching the browser (None if none did),
    and the number it then shows (its data-number; None on a page without)."""
    strokes = number_strokes()
    for points in strokes:
        seen = page.evaluate("window.__probe.changes.length")
        draw_stroke(page, *points, steps=10, timeout_ms=STEP_TIMEOUT_MS, across=True)
        page.wait_for_function(
            """seen => { const up = window.__probe.ups.at(-1);
                return window.__probe.changes.slice(seen).some(c => c.t > up); }""",
            arg=seen, timeout=STEP_TIMEOUT_MS,
        )
    page.wait_for_timeout(300)  # a late rerun after the first change would belong to the last stroke
    return tuple(page.evaluate(
        """seen => {
            const up = window.__probe.ups.at(-1);
            const change = window.__probe.changes.slice(seen).find(c => c.t > up);
            const last = window.__probe.changes.at(-1).html || "";
            const number = (last.match(/data-number="([^"]*)"/) || [])[1] ?? null;
            return [change.t - up, window.__arrivedAfter(up), number];
        }""",
        seen,
    ))


def measure_page(browser, page_spec: Page, strokes: int, data_dir: str, numbers: int = 0) -> dict:
    """Latency percentiles (and server RSS) for one page over `strokes` measured strokes."""
    with served(page_spec, data_dir) as (url, process, _):
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        context.add_init_script(f"({INSTALL_SOCKET_PROBE})()")
        page = context.new_page()
        try:
            page.goto(url)
            page.locator("canvas.upper-canvas").wait_for(state="visible", timeout=60_000)
            page.wait_for_selector(RESULT, state="attached", timeout=60_000)
            page.evaluate(INSTALL_PROBE, RESULT)
            stroke_to_prediction_ms(page, 0)
            rss_first = rss_mb(process.pid)
            clear(page)
            for i in range(1, WARMUP_STROKES):
                stroke_to_prediction_ms(page, i)
                clear(page)
            samples, arrivals = [], []
            for i in range(strokes):
                ms, arrived = stroke_to_prediction_ms(page, i)
                samples.append(ms)
                arrivals += [arrived] if arrived is not None else []
                clear(page)
            number_samples, number_arrivals, read = [], [], []
            for _ in range(numbers):
                ms, arrived, number = number_to_reading_ms(page)
                number_samples.append(ms)
                number_arrivals += [arrived] if arrived is not None else []
                read.append(number)
                clear(page)
            rss_last = rss_mb(process.pid)
        finally:
            context.close()
    samples.sort()
    number_samples.sort()
    figures = {}
    if number_samples:
        figures["number"] = {
            "number": NUMBER,
            "p50_ms": round(statistics.median(number_samples), 1),
            "p90_ms": round(number_samples[min(len(number_samples) - 1, int(0.9 * len(number_samples)))], 1),
            "n": len(number_samples),
            "read_right": sum(r == NUMBER for r in read) if page_spec.name == "our page" else None,
            "arrived_p50_ms": round(statistics.median(number_arrivals), 1) if number_arrivals else None,
        }
    return {
        **figures,
        "p50_ms": round(statistics.median(samples), 1),
        "p90_ms": round(samples[min(len(samples) - 1, int(0.9 * len(samples)))], 1),
        "n": len(samples),
        "arrived_p50_ms": round(statistics.median(arrivals), 1) if arrivals else None,
        "rss_mb_after_first_prediction": round(rss_first, 1),
        "rss_mb_after_all_strokes": round(rss_last, 1),
    }


def start_seconds(runs: int, data_dir: str) -> list[float]:
    times = []
    for _ in range(runs):
        with served(PAGES[0], data_dir) as (_, _, seconds):
            times.append(round(seconds, 2))
    return times


def table(result: dict) -> str:
    lines = [
        "| page | stroke -> prediction p50 | p90 | strokes | answer reaches the browser, p50 | server RSS after first prediction |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in result["pages"].items():
        if "skipped" in r:
            lines.append(f"| {name} | skipped: {r['skipped']} | | | | |")
        else:
            lines.append(
                f"| {name} | {r['p50_ms']:.0f} ms | {r['p90_ms']:.0f} ms | {r['n']} | {_ms(r.get('arrived_p50_ms'))} | {r['rss_mb_after_first_prediction']:.0f} MB |"
            )
    numbers = {name: r["number"] for name, r in result["pages"].items() if "number" in r}
    if numbers:
        lines += [
            "",
            f"| page | last stroke of {NUMBER} -> number p50 | p90 | numbers | read right | answer reaches the browser, p50 |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name, r in numbers.items():
            right = "" if r["read_right"] is None else f"{r['read_right']}/{r['n']}"
            lines.append(f"| {name} | {r['p50_ms']:.0f} ms | {r['p90_ms']:.0f} ms | {r['n']} | {right} | {_ms(r.get('arrived_p50_ms'))} |")
    start = result["start_seconds"]
    lines += ["", f"our page: start -> health ok {start['median']:.2f} s (median of {start['runs']})"]
    ours = result["pages"].get("our page", {})
    if "p50_ms" in ours:
        checks = [
            ("start", start["median"], TARGETS["start_seconds"], "s"),
            ("RSS", ours["rss_mb_after_first_prediction"], TARGETS["rss_mb"], "MB"),
            ("stroke -> prediction p50", ours["p50_ms"], TARGETS["stroke_to_prediction_p50_ms"], "ms"),
        ]
        lines.append(
            "targets: "
            + ", ".join(f"{what} {value:g} {unit} <= {target:g} {'ok' if value <= target else 'MISSED'}" for what, value, target, unit in checks)
        )
    return "\n".join(lines)


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.0f} ms"


def main(strokes: int = 20, numbers: int = 10) -> dict:
    data_dir = tempfile.mkdtemp(prefix="bench-drawings-")
    starts = start_seconds(3, data_dir)
    result = {
        "start_seconds": {"median": statistics.median(starts), "runs": starts},
        "pages": {},
        "targets": TARGETS,
    }
    skipped = None
    if CHROMIUM is None:
        skipped = "Chromium not found (apt-get install chromium)"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            skipped = "playwright is not installed"
    if skipped:
        result["pages"] = {page.name: {"skipped": skipped} for page in PAGES}
    else:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for page in PAGES:
                    if page.python == TRAIN_PYTHON and not KERAS_MODEL.exists():
                        result["pages"][page.name] = {"skipped": f"{KERAS_MODEL.relative_to(ROOT)} does not exist (make train)"}
                    elif not page.python.exists():
                        result["pages"][page.name] = {"skipped": f"{page.python.relative_to(ROOT)} does not exist"}
                    else:
                        print(f"  {page.name}: {WARMUP_STROKES} warm-up + {strokes} strokes", flush=True)
                        try:
                            wanted = numbers if page.name in NUMBER_PAGES else 0
                            result["pages"][page.name] = measure_page(browser, page, strokes, data_dir, wanted)
                        except Exception as exc:  # one page failing should not lose the others' figures
                            if page is PAGES[0]:
                                raise
                            result["pages"][page.name] = {"skipped": f"failed: {str(exc).splitlines()[0]}"}
            finally:
                browser.close()
    shutil.rmtree(data_dir, ignore_errors=True)
    ours = result["pages"].get("our page", {})
    result["rss_mb_after_first_prediction"] = ours.get("rss_mb_after_first_prediction")
    result["stroke_to_prediction_ms"] = {k: ours[k] for k in ("p50_ms", "p90_ms", "n") if k in ours}
    if "number" in ours:
        result["number_to_reading_ms"] = ours["number"]
    print(table(result))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.server")
    parser.add_argument("--strokes", type=int, default=20)
    parser.add_argument("--numbers", type=int, default=10, help=f"times {NUMBER} is written on our page and the bare canvas")
    parser.add_argument("--only", choices=[p.name for p in PAGES[1:]], action="append", help="of the other pages, measure only these")
    args = parser.parse_args()
    if args.only:  # our page always: start-up is measured on it
        PAGES[:] = [PAGES[0]] + [p for p in PAGES[1:] if p.name in args.only]
    print(json.dumps(main(args.strokes, args.numbers), indent=2))
