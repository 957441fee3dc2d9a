"""Many visitors at once: simulated browsers speaking Streamlit's protocol to the page.

    $ .venv/app/bin/python -m bench.load --users 50 --seconds 60            # starts its own server
    $ .venv/app/bin/python -m bench.load --users 50 --seconds 60 --url http://127.0.0.1:8501 --json

Each visitor (bench/visitor.py) opens a session, draws MNIST test digits stroke by stroke (a
stroke every `--interval` seconds), now and then uploads a picture or saves a correction, and
leaves when the time is up; with `--visits K` visitors come and go (each draws `--digits` digits
and leaves, a new one takes its place) until K have visited. Prints stroke -> answer p50/p95/p99
(server side: request sent to result card received), answers per second, errors and the server's
resident memory. Without `--url` it starts the app itself (`--server-cpus 0` pins it with
taskset), with a throw-away drawings folder.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench import replica
from bench.drawing import mnist_drawings
from bench.visitor import Tally, Visitor

DRAWINGS = 20  # MNIST test digits the visitors draw (the fixture's first ones)


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100), nearest rank; None without values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q / 100 * len(ordered) + 0.5)) - 1))]


def loopback_hosts(n: int) -> list[str | None]:
    """`n` loopback source addresses, or the default one when n is 0: 127.0.1.1, 127.0.2.1, ...
    (all of 127/8 is loopback), one /24 each, since nginx's `ip_hash` keys on an IPv4 address's
    first three bytes: 127.0.0.11 and 127.0.0.12 are one client to it."""
    return [f"127.0.{1 + i}.1" for i in range(n)] if n else [None]


async def crowd(url: str, users: int, seconds: float, interval: float = 2.0, visits: int | None = None,
                digits: int = 1, hosts: int = 0, seed: int = 0, drawings=None, sample=None) -> tuple[Tally, float]:
    """Run the visitors; (what they did, seconds it took). `sample(t)` is called every second
    while they run (for memory readings)."""
    drawings = drawings or mnist_drawings(DRAWINGS)
    tally = Tally()
    rng = random.Random(seed)
    addresses = loopback_hosts(hosts)
    started = time.monotonic()
    until = started + seconds
    counter = iter(range(10**9))

    async def one(delay: float) -> None:
        await asyncio.sleep(delay)
        n = next(counter)
        visitor = Visitor(url, drawings, tally, random.Random(rng.random()), interval, addresses[n % len(addresses)])
        await visitor.visit(until, digits if visits else None)

    async def seat(i: int) -> None:
        # A seat at the page: one visitor after another while visits remain.
        await one(interval * i / users)
        while visits and next(remaining, None) is not None and time.monotonic() < until:
            await one(0)

    remaining = iter(range(max(0, (visits or 0) - users)))
    seats = [asyncio.create_task(seat(i)) for i in range(min(users, visits or users))]

    async def sampler() -> None:
        while True:
            await asyncio.sleep(1)
            sample(time.monotonic() - started, tally)

    watcher = asyncio.create_task(sampler()) if sample else None
    await asyncio.gather(*seats)
    if watcher:
        watcher.cancel()
    return tally, time.monotonic() - started


def summary(tally: Tally, elapsed: float, users: int, interval: float, rss: float | None) -> dict:
    lat = tally.latencies_ms
    return {
        "users": users,
        "interval_s": interval,
        "seconds": round(elapsed, 1),
        "strokes_answered": tally.answers,
        "answers_per_s": round(tally.answers / elapsed, 2) if elapsed else None,
        "stroke_to_answer_ms": {q: (round(percentile(lat, p), 1) if lat else None) for q, p in (("p50", 50), ("p95", 95), ("p99", 99))},
        "stroke_to_answer_max_ms": round(max(lat), 1) if lat else None,
        "errors": len(tally.errors),
        "error_samples": sorted(set(tally.errors))[:5],
        "drawings_read_right": tally.digits_right,
        "drawings_read_wrong": tally.digits_wrong,
        "uploads": tally.uploads,
        "uploads_read_right": tally.uploads_right,
        "saves": tally.saves,
        "tab_switches": tally.tab_switches,
        "sessions_opened": tally.sessions,
        "visitors_left": tally.left,
        "failed_strokes": tally.failed_strokes,
        "server_rss_mib": round(rss, 1) if rss is not None else None,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def report(result: dict) -> str:
    q = result["stroke_to_answer_ms"]
    ms = " / ".join("-" if q[k] is None else f"{q[k]:.0f}" for k in ("p50", "p95", "p99"))
    rss = "?" if result["server_rss_mib"] is None else f"{result['server_rss_mib']:.0f} MiB"
    return (
        f"{result['users']} visitors, a stroke every {result['interval_s']:g} s, {result['seconds']:g} s: "
        f"stroke -> answer p50/p95/p99 {ms} ms, {result['answers_per_s']} answers/s, "
        f"{result['errors']} errors, {result['drawings_read_right']}/{result['drawings_read_right'] + result['drawings_read_wrong']} "
        f"drawings read right, {result['uploads']} uploads, {result['saves']} saves, server RSS {rss}, "
        f"load average {' '.join(map(str, result['load_average']))}"
    )


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    p.add_argument("--users", type=int, default=10, help="visitors at the page at once")
    p.add_argument("--seconds", type=float, default=30, help="how long they stay (the run's length)")
    p.add_argument("--url", help="a running app (default: start one)")
    p.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    p.add_argument("--interval", type=float, default=2.0, help="seconds between one visitor's strokes")
    p.add_argument("--visits", type=int, help="visitors in all, coming and going (default: --users, staying)")
    p.add_argument("--digits", type=int, default=1, help="with --visits: digits each visitor draws before leaving")
    p.add_argument("--hosts", type=int, default=0, help="spread visitors over this many 127.0.0.x source addresses")
    p.add_argument("--server-cpus", help="with no --url: taskset CPU list for the server it starts, e.g. 0")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, help="also write the figures to this JSON file")
    args = p.parse_args(argv)

    data_dir = None
    server = None
    if args.url:
        url = args.url
        pid = replica.pid_listening(urlsplit(url).port or 80)
    else:
        data_dir = tempfile.mkdtemp(prefix="load-drawings-")
        server = replica.start(data_dir, cpus=args.server_cpus)
        url, pid = server.url, server.process.pid
    try:
        tally, elapsed = asyncio.run(crowd(url, args.users, args.seconds, args.interval, args.visits, args.digits, args.hosts, args.seed))
        rss = replica.rss_mib(pid) if pid else None
    finally:
        if server:
            replica.stop(server.process)
            server.log.unlink(missing_ok=True)
            shutil.rmtree(data_dir, ignore_errors=True)
    result = summary(tally, elapsed, args.users, args.interval, rss)
    print(json.dumps(result, indent=2) if args.json else report(result), flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    sys.exit(0 if main()["errors"] == 0 else 1)
