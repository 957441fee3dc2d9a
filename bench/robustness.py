"""Accuracy on real-world conditions: MNIST test digits drawn and photographed the ways people do.

    $ python -m bench.robustness [--n 2000] [--model models/digit_cnn.onnx]

For each condition in `bench/conditions.py`, the first N MNIST test digits are turned into
canvas drawings or photos and recognised by the app's `Recognizer` (our preprocessing), and,
for comparison, by the same model fed the way tutorial apps do it (whole picture resized to
28x28). Non-digits (scribbles, blobs, pictures) should come out "uncertain". Prints a Markdown
table; target: >= 99 % on every condition.

Then the same digits redrawn with an even pen of one width at a time, from a pencil to the app's
widest pen (40 px): what the pen's width costs, against what redrawing a scanned stroke with any
even pen costs (compare "canvas, centred", the same digits before they are redrawn).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from app.recognizer import Recognizer
from bench.conditions import CONDITIONS, NON_DIGITS, pen, tutorial_input

PEN_WIDTHS = (4, 10, 18, 28, 40)  # pixels, on the 220-pixel digit that the pen conditions draw


def evaluate(recognizer: Recognizer, x: np.ndarray, y: np.ndarray, n_other: int = 200, seed: int = 0) -> dict:
    rows = {}
    for name, make in CONDITIONS.items():
        images, results = _drawn(recognizer, make, x, seed)
        tutorial = recognizer.probabilities(np.stack([tutorial_input(im) for im in images])).argmax(axis=1)
        rows[name] = {
            "accuracy": _accuracy(results, y),
            "uncertain": float(np.mean([r.status != "ok" for r in results])),
            "tutorial_accuracy": float((tutorial == y).mean()),
        }
    others = {}
    for name, make in NON_DIGITS.items():
        rng = np.random.default_rng(seed)
        results = recognizer.predict_batch([make(rng) for _ in range(n_other)])
        others[name] = {
            "not_sure": float(np.mean([r.status != "ok" for r in results])),
            "confident_digit": float(np.mean([r.status == "ok" for r in results])),
        }
    return {"n": int(len(y)), "conditions": rows, "non_digits": others, "pen_widths": pen_widths(recognizer, x, y, seed=seed)}


def pen_widths(recognizer: Recognizer, x: np.ndarray, y: np.ndarray, widths=PEN_WIDTHS, seed: int = 0) -> dict[int, float]:
    """Accuracy on the digits redrawn with an even pen of each width."""
    return {width: _accuracy(_drawn(recognizer, pen(width), x, seed)[1], y) for width in widths}


def _drawn(recognizer: Recognizer, make, x: np.ndarray, seed: int) -> tuple[list, list]:
    """Every digit drawn by the condition `make` (one rng, from `seed`), and what the app reads."""
    rng = np.random.default_rng(seed)
    images = [make(digit, rng) for digit in x]
    return images, recognizer.predict_batch(images)


def _accuracy(results, labels) -> float:
    return float(np.mean([r.digit == label for r, label in zip(results, labels)]))


def markdown(result: dict) -> str:
    lines = [
        f"| condition ({result['n']} MNIST test digits each) | our app | flagged \"not sure\" | tutorial-style resize |",
        "|---|---:|---:|---:|",
    ]
    for name, r in result["conditions"].items():
        lines.append(f"| {name} | {r['accuracy']:.2%} | {r['uncertain']:.1%} | {r['tutorial_accuracy']:.2%} |")
    lines += ["", "| not a digit | \"not sure\" | confident digit |", "|---|---:|---:|"]
    for name, r in result["non_digits"].items():
        lines.append(f"| {name} | {r['not_sure']:.0%} | {r['confident_digit']:.0%} |")
    widths = result["pen_widths"]
    lines += ["", "| even pen, px (of a 220 px digit) | " + " | ".join(map(str, widths)) + " |", "|---|" + "---:|" * len(widths)]
    lines.append("| our app | " + " | ".join(f"{a:.2%}" for a in widths.values()) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    from train.data import load_mnist

    p = argparse.ArgumentParser(prog="python -m bench.robustness")
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--model", default=None)
    args = p.parse_args(argv)
    mnist = load_mnist()
    recognizer = Recognizer.load(args.model)
    started = time.time()
    result = evaluate(recognizer, mnist.x_test[: args.n], mnist.y_test[: args.n])
    result["model"] = recognizer.card.get("version") if isinstance(recognizer.card, dict) else str(recognizer.card)
    result["seconds"] = round(time.time() - started, 1)
    print(markdown(result))
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
