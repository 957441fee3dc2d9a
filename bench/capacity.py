"""What one server process holds: the capacity curve, memory per session, memory after many
visitors, measured with the simulated visitors of bench/load.py.

    $ .venv/app/bin/python -m bench.capacity                 # about 12 minutes; bench/out/capacity.json
    $ .venv/train/bin/python -m bench.loadplot               # bench/out/load.png from that file

The server runs on CPU 0 (`taskset -c 0`), this process and its visitors on CPU 1, so the curve
is the capacity of one core. Each step of the curve is a fresh server with `--users` visitors
drawing a stroke every two seconds; the knee is the first step whose p95 stroke -> answer
passes 250 ms. Memory per session: visitors who each draw one digit and then stay, idle, with
the tab open. Memory after many visitors: visitors come and go (each draws a digit, saves,
uploads or clears, and leaves) until 1,000 have visited; the server's RSS when 100 and when
1,000 have left. Every figure is stored with the machine's load average at the time, since
the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

from bench import load, replica
from bench.drawing import mnist_drawings, overdrawn
from bench.protocol import Tab
from bench.visitor import Tally, Visitor, canvas_key

OUT = Path(__file__).resolve().parent / "out"
SERVER_CPU, CLIENT_CPU = "0", 1
LEVELS = (1, 10, 25, 50, 100)
KNEE_MS = 250.0  # p95 stroke -> answer
IDLE_COUNTS = (1, 10, 25, 50, 100)
IDLE_LONG_COUNTS = (1, 10, 25)
UNDO_STROKES = 21  # the current drawing and the 20 Undo can go back to (app/history.py)
TARGETS = {"users_at_p95_250ms": 50, "idle_session_mib": 4.0, "growth_after_1000_pct": 10.0}


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def pin_client() -> None:
    """Keep this process (the visitors) off the server's core."""
    if hasattr(os, "sched_setaffinity") and os.cpu_count() and os.cpu_count() > 1:
        os.sched_setaffinity(0, {CLIENT_CPU})


def server(data_dir: str, **options) -> replica.Server:
    return replica.start(data_dir, cpus=SERVER_CPU if (os.cpu_count() or 1) > 1 else None, **options)


async def warm_up(url: str, drawings) -> None:
    """One visitor draws one digit: the first run imports the page's modules and loads the model."""
    await Visitor(url, drawings, Tally(), random.Random(0), interval=0.1).visit(time.monotonic() + 60, digits=1)


def step(drawings, users: int, seconds: float, interval: float) -> dict:
    """One point of the curve: a fresh server, `users` visitors for `seconds`."""
    data_dir = tempfile.mkdtemp(prefix="capacity-")
    app = server(data_dir)
    peak = [0.0]

    def sample(t: float, tally: Tally) -> None:
        peak[0] = max(peak[0], app.rss_mib())

    try:
        asyncio.run(warm_up(app.url, drawings))
        cpu_before, client_before = app.cpu_seconds(), time.process_time()
        tally, elapsed = asyncio.run(load.crowd(app.url, users, seconds, interval, drawings=drawings, sample=sample))
        row = load.summary(tally, elapsed, users, interval, app.rss_mib())
        row["server_rss_peak_mib"] = round(peak[0], 1)
        row["server_cpu_cores"] = round((app.cpu_seconds() - cpu_before) / elapsed, 3)
        # The visitors' own CPU: near 1 core, they, not the server, would set the pace.
        row["client_cpu_cores"] = round((time.process_time() - client_before) / elapsed, 3)
    finally:
        replica.stop(app.process)
        shutil.rmtree(data_dir, ignore_errors=True)
    return row


def curve(drawings, seconds: float, levels=LEVELS, interval: float = 2.0) -> list[dict]:
    rows = []
    for users in levels:
        rows.append(step(drawings, users, seconds, interval))
        print(load.report(rows[-1]) + f", server CPU {rows[-1]['server_cpu_cores']:.2f} cores, visitors' CPU {rows[-1]['client_cpu_cores']:.2f}", flush=True)
    return rows


def knee(rows: list[dict]) -> int | None:
    """The fewest visitors whose p95 passed KNEE_MS (None: no step did)."""
    for row in rows:
        p95 = row["stroke_to_answer_ms"]["p95"]
        if p95 is None or p95 > KNEE_MS or row["errors"]:
            return row["users"]
    return None


def idle_sessions(drawings, counts=IDLE_COUNTS, strokes: int | None = None) -> dict:
    """RSS with 1..N tabs open, each having drawn one digit (or, with `strokes`, one drawing of
    that many strokes), then idle."""
    data_dir = tempfile.mkdtemp(prefix="capacity-idle-")
    app = server(data_dir)
    rows = []
    long = overdrawn(drawings, strokes) if strokes else None

    async def run():
        tabs = []
        try:
            for count in counts:
                while len(tabs) < count:
                    tab = Tab(app.url)
                    await tab.open()
                    drawing = long or drawings[len(tabs) % len(drawings)]
                    for report in drawing.reports:
                        await tab.rerun({canvas_key(tab): {"json_value": report}}, fragment=canvas_key(tab))
                    tabs.append(tab)
                await asyncio.sleep(3)
                rows.append({"sessions": count, "server_rss_mib": round(app.rss_mib(), 1), "load_average": load_average()})
                print(f"  {count} idle sessions: server RSS {rows[-1]['server_rss_mib']} MiB", flush=True)
        finally:
            for tab in tabs:
                await tab.close()

    try:
        asyncio.run(warm_up(app.url, drawings))
        asyncio.run(run())
    finally:
        replica.stop(app.process)
        shutil.rmtree(data_dir, ignore_errors=True)
    first, last = rows[0], rows[-1]
    per_session = (last["server_rss_mib"] - first["server_rss_mib"]) / max(1, last["sessions"] - first["sessions"])
    return {"strokes_each": strokes or "one digit", "rows": rows, "mib_per_idle_session": round(per_session, 3)}


def churn(drawings, visits: int = 1000, users: int = 50, interval: float = 1.0, mark: int = 100) -> dict:
    """Visitors come and go; RSS when `mark` and when `visits` visitors have left."""
    data_dir = tempfile.mkdtemp(prefix="capacity-churn-")
    app = server(data_dir)
    marks: dict[str, dict] = {}

    def sample(t: float, tally: Tally) -> None:
        if tally.left >= mark and "first" not in marks:
            marks["first"] = {"visitors_left": tally.left, "server_rss_mib": round(app.rss_mib(), 1), "load_average": load_average()}
            print(f"  {tally.left} visitors gone: server RSS {marks['first']['server_rss_mib']} MiB", flush=True)

    try:
        asyncio.run(warm_up(app.url, drawings))
        tally, elapsed = asyncio.run(load.crowd(app.url, users, 3600, interval, visits=visits, digits=1, drawings=drawings, sample=sample))
        marks["last"] = {"visitors_left": tally.left, "server_rss_mib": round(app.rss_mib(), 1), "load_average": load_average()}
        print(f"  {tally.left} visitors gone: server RSS {marks['last']['server_rss_mib']} MiB", flush=True)
    finally:
        replica.stop(app.process)
        shutil.rmtree(data_dir, ignore_errors=True)
    growth = 100 * (marks["last"]["server_rss_mib"] - marks["first"]["server_rss_mib"]) / marks["first"]["server_rss_mib"]
    return {
        "visits": visits, "concurrent": users, "interval_s": interval, "seconds": round(elapsed, 1),
        "errors": len(tally.errors), "error_samples": sorted(set(tally.errors))[:5], "strokes_answered": tally.answers,
        "saves": tally.saves, "uploads": tally.uploads,
        "after_first": marks["first"], "after_all": marks["last"], "growth_pct": round(growth, 1),
    }


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(prog="python -m bench.capacity")
    p.add_argument("--seconds", type=float, default=40, help="length of each step of the curve")
    p.add_argument("--levels", type=lambda s: tuple(int(x) for x in s.split(",")), default=LEVELS)
    p.add_argument("--visits", type=int, default=1000)
    p.add_argument("--out", type=Path, default=OUT / "capacity.json")
    args = p.parse_args(argv)
    if args.visits <= 100:
        p.error("--visits must be more than 100: memory is compared after 100 visitors and after all of them")
    pin_client()
    drawings = mnist_drawings(load.DRAWINGS)
    result = {"started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "load_average_at_start": load_average()}
    print("== capacity curve (server on CPU 0)", flush=True)
    result["curve"] = curve(drawings, args.seconds, args.levels)
    result["knee_users"] = knee(result["curve"])
    print("== memory per idle session", flush=True)
    result["idle_sessions"] = idle_sessions(drawings)
    print(f"== memory per idle session that drew {UNDO_STROKES} strokes (Undo's whole history)", flush=True)
    result["idle_sessions_long"] = idle_sessions(drawings, IDLE_LONG_COUNTS, strokes=UNDO_STROKES)
    print("== memory after many visitors", flush=True)
    result["churn"] = churn(drawings, args.visits)
    result["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    result["targets"] = TARGETS
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("knee_users", "load_average_at_start")}, indent=2))
    print(f"per idle session {result['idle_sessions']['mib_per_idle_session']} MiB "
          f"({result['idle_sessions_long']['mib_per_idle_session']} MiB after {UNDO_STROKES} strokes); churn growth {result['churn']['growth_pct']} %")
    try:
        from bench import loadplot

        print(f"wrote {loadplot.plot(result)}")
    except ImportError:
        print("matplotlib is not in this environment: .venv/train/bin/python -m bench.loadplot draws bench/out/load.png")
    return result


if __name__ == "__main__":
    main()
