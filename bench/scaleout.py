"""Two app replicas behind nginx (the README's sticky configuration) on loopback, visitors coming
from several loopback addresses, and one replica killed in the middle of the run.

    $ .venv/app/bin/python -m bench.scaleout [--users 20 --hosts 8 --seconds 40 --kill-at 15]

Both replicas share one drawings folder, as the README's ReadWriteMany volume. The replica
serving the most visitors is killed (SIGKILL) `--kill-at` seconds in. Reports: which replica
each client address was pinned to before the kill (nginx's access log), what the other
replica's visitors saw (errors, lost strokes), how many strokes the killed replica's visitors
lost and how long until each of them had a stroke answered again, and whether every drawing
saved before the kill is still in the shared folder. Writes bench/out/scaleout.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

from app.dataset import DrawingStore
from bench import load, proxy, replica
from bench.drawing import mnist_drawings

OUT = Path(__file__).resolve().parent / "out" / "scaleout.json"
RECOVERY_TARGET_S = 10.0


def saved_files(data_dir: str) -> set[str]:
    return {str(p.relative_to(data_dir)) for p in Path(data_dir).glob("*/*.png")}


def run(users: int = 20, hosts: int = 8, seconds: float = 40, kill_at: float = 15, interval: float = 2.0, drawings=None,
        env: dict[str, str] | None = None) -> dict:
    drawings = drawings or mnist_drawings(load.DRAWINGS)
    data_dir = tempfile.mkdtemp(prefix="scaleout-drawings-")
    apps = [replica.start(data_dir, env=env), replica.start(data_dir, env=env)]
    upstreams = {a.url.removeprefix("http://"): a for a in apps}
    try:
        with proxy.nginx(list(upstreams)) as nginx:
            kill: dict = {}

            def sample(t: float, tally) -> None:
                if t >= kill_at and not kill:
                    pinned = nginx.upstreams_by_client()
                    counts = {u: sum(1 for s in pinned.values() if u in s) for u in upstreams}
                    victim = max(counts, key=counts.get)
                    kill.update(upstream=victim, at=time.time(), saved=saved_files(data_dir), saves=tally.saves)
                    os.kill(upstreams[victim].process.pid, signal.SIGKILL)
                    print(f"  killed {victim} at {t:.1f} s ({counts[victim]} client addresses on it)", flush=True)

            tally, elapsed = asyncio.run(load.crowd(nginx.url, users, seconds, interval, hosts=hosts, drawings=drawings, sample=sample))
            pinned = nginx.upstreams_by_client(before=kill["at"])
            log = nginx.log()
        survivors = saved_files(data_dir)
        index = {e.file for e in DrawingStore(Path(data_dir)).recent(10**6)}
    finally:
        for app in apps:
            if app.alive():
                replica.stop(app.process)
            app.log.unlink(missing_ok=True)
        shutil.rmtree(data_dir, ignore_errors=True)

    victim = kill["upstream"]
    on_victim = {c for c, u in pinned.items() if u == {victim}}
    elsewhere = {c for c, u in pinned.items() if victim not in u}
    recovered = [(host, answered - kill["at"]) for host, dropped, answered in tally.outages if answered is not None]
    unrecovered = [host for host, _, answered in tally.outages if answered is None]
    other_errors = [e for e, h in zip(tally.errors, tally.error_hosts) if h in elsewhere]
    result = {
        "users": users, "client_addresses": hosts, "interval_s": interval, "seconds": round(elapsed, 1),
        "killed": victim, "killed_after_s": kill_at,
        "pinned_before_kill": {c: sorted(u) for c, u in sorted(pinned.items())},
        "each_address_on_one_replica": all(len(u) == 1 for u in pinned.values()),
        "addresses_on_killed": len(on_victim), "addresses_on_survivor": len(elsewhere),
        "survivor_visitors": {
            "errors": len(other_errors),
            "lost_strokes": sum(1 for h, _, _ in tally.outages if h in elsewhere),
        },
        "killed_visitors": {
            "lost_strokes": tally.failed_strokes - sum(1 for h, _, _ in tally.outages if h in elsewhere),
            "lost_actions": tally.failed_actions,
            "drawings_begun_again": tally.drawings_restarted,
            "answered_again": len(recovered), "never_answered_again": len(unrecovered),
            "recovery_s_max": round(max(s for _, s in recovered), 2) if recovered else None,
            "recovery_s_median": round(sorted(s for _, s in recovered)[len(recovered) // 2], 2) if recovered else None,
        },
        "errors": len(tally.errors), "error_samples": sorted(set(tally.errors))[:5],
        "strokes_answered": tally.answers,
        "saved_before_kill": len(kill["saved"]),
        "saved_before_kill_still_there": len(kill["saved"] & survivors),
        "saved_before_kill_in_index": len({Path(f).name for f in kill["saved"]} & {Path(f).name for f in index}),
        "saved_in_all": len(survivors),
        "proxied_requests": len(log),
        "recovery_target_s": RECOVERY_TARGET_S,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    return result


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(prog="python -m bench.scaleout")
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--hosts", type=int, default=8, help="client addresses 127.0.1.1, 127.0.2.1, ...")
    p.add_argument("--seconds", type=float, default=40)
    p.add_argument("--kill-at", type=float, default=15)
    p.add_argument("--interval", type=float, default=2.0, help="seconds between one visitor's strokes")
    args = p.parse_args(argv)
    if reason := proxy.unavailable():
        print(f"skipped: {reason}")
        return {"skipped": reason}
    result = run(args.users, args.hosts, args.seconds, args.kill_at, args.interval)
    print(json.dumps(result, indent=2))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
