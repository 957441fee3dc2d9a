"""`make bench`: every speed, memory and accuracy figure in the README, measured in one run.

    $ make bench           # or: .venv/train/bin/python -m bench [--quick]

Writes bench/out/results.json (and bench/out/load.json) and prints the figures. The capacity
curve and the scale-out run take longer and run on their own: `python -m bench.capacity`,
`python -m bench.scaleout`. Runs in the training environment because it
compares against Keras; the app itself is measured exactly as served (a `streamlit run`
process and a real Chromium for the page figures).
"""

import argparse
import json
import sys
from pathlib import Path

from bench import heldout, load, numbers, robustness, server, speed, zip_download

OUT = Path(__file__).resolve().parent / "out" / "results.json"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench")
    p.add_argument("--quick", action="store_true", help="fewer samples (a smoke run, not for the README)")
    args = p.parse_args(argv)
    results = {}
    print("== speed: Recognizer vs Keras, fp32 vs int8", flush=True)
    results["speed"] = speed.main()
    print(json.dumps(results["speed"], indent=2), flush=True)
    print("== server: start-up, memory, stroke-to-prediction in Chromium", flush=True)
    results["server"] = server.main(strokes=5 if args.quick else 30)
    print(json.dumps(results["server"], indent=2), flush=True)
    print("== load: simulated visitors on the page's protocol, server on CPU 0", flush=True)
    users, seconds = ("5", "10") if args.quick else ("25", "30")
    results["load"] = load.main(["--users", users, "--seconds", seconds, "--server-cpus", "0", "--out", str(OUT.parent / "load.json")])
    print("== robustness", flush=True)
    results["robustness"] = robustness.main(["--n", "200" if args.quick else "2000"])
    print("== held-out fonts: digits, letters and signs from Debian fonts training never saw", flush=True)
    results["heldout"] = heldout.main(["--draws", "1" if args.quick else "5"])
    print("== numbers: several digits on a wide canvas", flush=True)
    results["numbers"] = numbers.main(["--n", "20", "--singles", "200"] if args.quick else [])
    print("== zip download: the operator's ZIP of a 100 MiB store, server memory", flush=True)
    results["zip_download"] = zip_download.main(["--mib", "20" if args.quick else "100"])
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
