"""bench/out/load.png: the capacity curve and memory against sessions, from bench/out/capacity.json.

    $ .venv/train/bin/python -m bench.loadplot [bench/out/capacity.json]

Matplotlib only (the training environment has it); the figures come from `python -m bench.capacity`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def plot(result: dict, path: Path = OUT / "load.png") -> Path:
    """The curve (stroke -> answer percentiles and answers/s against visitors) and RSS against
    idle sessions, one figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["curve"]
    knee_ms = result.get("knee_ms", 250.0)
    users = [r["users"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for q, style in (("p50", "-o"), ("p95", "-s"), ("p99", "-^")):
        left.plot(users, [r["stroke_to_answer_ms"][q] for r in rows], style, label=q)
    if result.get("recheck"):
        again = result["recheck"]
        left.plot([r["users"] for r in again], [r["stroke_to_answer_ms"]["p95"] for r in again], "kx", markersize=9,
                  label="p95, steps run again")
    left.axhline(knee_ms, color="grey", linestyle="--", linewidth=1, label=f"{knee_ms:g} ms")
    left.set(xlabel="visitors, a stroke every 2 s each", ylabel="stroke -> answer, ms (server side)", yscale="log",
             title="one server on one core")
    left.legend(loc="upper left")
    twin = left.twinx()
    twin.plot(users, [r["answers_per_s"] for r in rows], ":", color="black", label="answers/s")
    twin.set_ylabel("answers per second (dotted)")
    for name, label in (("idle_sessions", "each drew a digit"), ("idle_sessions_long", "each drew 21 strokes")):
        if name in result:
            idle = result[name]
            right.plot([r["sessions"] for r in idle["rows"]], [r["server_rss_mib"] for r in idle["rows"]], "-o",
                       label=f"{label}: {idle['mib_per_idle_session']:.2f} MiB per session")
    right.set(xlabel="open idle sessions", ylabel="server RSS, MiB", title="memory against open sessions")
    right.legend(loc="upper left")
    loads = [r["load_average"][0] for r in rows]
    fig.suptitle(f"machine load average (1 min) during the curve: {min(loads):.1f}-{max(loads):.1f} on 2 cores", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path



if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT / "capacity.json"
    print(f"wrote {plot(json.loads(source.read_text()))}")
