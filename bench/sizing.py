"""A replica's Kubernetes resources and autoscaling target, worked out from the capacity run.

    $ .venv/app/bin/python -m bench.sizing [bench/out/capacity.json]

One replica is one Streamlit process on one core (`bench/capacity.py` measures exactly that):
- holds: the most visitors (a stroke every 2 s each) whose p95 stroke -> answer stayed within
  250 ms without an error;
- CPU request: one core; the autoscaler's target is the share of it a replica used at 70 % of
  that many visitors, so that a new replica is started while the others still answer in time;
- memory request: the server's peak RSS at that load, plus the sessions of visitors who left
  that Streamlit keeps for a reconnect (at most 128, two minutes) at the idle-session cost;
- memory limit: the request plus one large upload being decoded (pictures over 4 megapixels are
  decoded one at a time per process; a 49-megapixel PNG costs about 220 MiB while decoded).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out" / "capacity.json"
KNEE_MS = 250.0
KEPT_SESSIONS = 128  # Streamlit's store of disconnected sessions (MemorySessionStorage maxsize)
LARGE_DECODE_MIB = 220
HEADROOM = 0.7  # scale out at this share of what a replica holds
ROUND_MIB = 64


def holds(curve: list[dict]) -> dict | None:
    """The step of the curve with the most visitors still within the target, or None."""
    good = [r for r in curve if r["errors"] == 0 and r["stroke_to_answer_ms"]["p95"] is not None and r["stroke_to_answer_ms"]["p95"] <= KNEE_MS]
    return max(good, key=lambda r: r["users"]) if good else None


def cpu_share_at(curve: list[dict], users: float) -> float:
    """The server's CPU (cores) at `users` visitors, read off the curve by straight lines."""
    points = sorted((r["users"], r["server_cpu_cores"]) for r in curve)
    for (u0, c0), (u1, c1) in zip(points, points[1:]):
        if u0 <= users <= u1:
            return c0 + (c1 - c0) * (users - u0) / (u1 - u0)
    return points[-1][1] if users > points[-1][0] else points[0][1]


def round_up(mib: float) -> int:
    return int(math.ceil(mib / ROUND_MIB) * ROUND_MIB)


def sizing(result: dict) -> dict:
    step = holds(result["curve"])
    if step is None:
        raise ValueError("no step of the curve met p95 <= 250 ms without errors: nothing to size from")
    per_session = max(result["idle_sessions"]["mib_per_idle_session"], result.get("idle_sessions_long", {}).get("mib_per_idle_session", 0))
    request = step["server_rss_peak_mib"] + KEPT_SESSIONS * per_session
    target_users = HEADROOM * step["users"]
    target = cpu_share_at(result["curve"], target_users)
    return {
        "visitors_per_replica": step["users"],
        "p95_ms_there": step["stroke_to_answer_ms"]["p95"],
        "cpu_cores_there": step["server_cpu_cores"],
        "cpu_request": "1",
        "hpa_cpu_utilization_pct": max(10, int(round(100 * target / 5) * 5)),
        "hpa_target_visitors": round(target_users),
        "memory_request": f"{round_up(request)}Mi",
        "memory_limit": f"{round_up(request + LARGE_DECODE_MIB)}Mi",
        "from": {"rss_peak_mib": step["server_rss_peak_mib"], "mib_per_idle_session": per_session, "kept_sessions": KEPT_SESSIONS},
    }


if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    print(json.dumps(sizing(json.loads(source.read_text())), indent=2))
