"""Reading whole numbers: MNIST test digits written side by side on a wide canvas, read by
`Recognizer.read_number` from the picture alone (an upload) and with the canvas's strokes.

    $ python -m bench.numbers [--n 300] [--digits test|train] [--model models/digit_cnn.onnx]

For every length from 1 to 6 digits and every gap (wide, close, touching), N numbers, each on
one of the three canvas styles, a third of them sloped, a third with mixed sizes (`bench/writing.py`).
"Exact" = every digit right, none missing or extra. Then single digits on the wide canvas
against `predict` on the same drawings, digits drawn in two strokes (kept whole?), and the time
`read_number` takes on a 4-digit canvas. Targets: exact >= 98 % for 2-4 digits that do not touch,
>= 95 % where they touch; single digits within 0.2 point of `predict`; two-stroke digits >= 99 %
kept whole; p50 <= 5 ms. `--digits train` draws from MNIST's training digits instead: the
set the segmentation's constants were tuned on, never the one they are measured on; `--digits
fonts` from the held-out fonts' digits (`bench.heldout.mnist_style_digits`), redrawn the same way.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from app.recognizer import Recognizer
from bench.conditions import CANVAS_STYLES
from bench.writing import GAPS, multi_stroke_digit, write_number

LENGTHS = range(1, 7)
STYLES = list(CANVAS_STYLES)
SOURCES = {"test": "MNIST test digits", "train": "MNIST training digits", "fonts": "held-out font digits"}


def numbers(recognizer: Recognizer, x: np.ndarray, y: np.ndarray, n: int, seed: int = 0) -> dict:
    """Exact-read rates per (length, gap), from pixels and with strokes, and 4-digit timings."""
    rng = np.random.default_rng(seed)
    rows, times = {}, {"pixels": [], "strokes": []}
    for gap in GAPS:
        for length in LENGTHS:
            right = {"pixels": 0, "strokes": 0}
            sure = {"pixels": 0, "strokes": 0}
            for k in range(n):
                pick = rng.integers(0, len(x), length)
                picture, strokes, truth = write_number(
                    x[pick], y[pick], rng, gap, STYLES[k % 3], sloped=k % 3 == 1, mixed=(k // 3) % 3 == 1
                )
                for mode, given in (("pixels", None), ("strokes", strokes)):
                    started = time.perf_counter()
                    reading = recognizer.read_number(picture, given)
                    if length == 4:
                        times[mode].append(time.perf_counter() - started)
                    right[mode] += "".join(str(d.prediction.digit) for d in reading.digits) == truth
                    sure[mode] += reading.number == truth
            rows[f"{gap}, {length}"] = {m: {"exact": right[m] / n, "sure": sure[m] / n} for m in right}
    timing = {m: {"p50_ms": 1000 * float(np.median(t)), "p90_ms": 1000 * float(np.percentile(t, 90))} for m, t in times.items()}
    return {"n": n, "rows": rows, "time_4_digits": timing}


def singles(recognizer: Recognizer, x: np.ndarray, y: np.ndarray, seed: int = 0) -> dict:
    """Each digit alone on the wide canvas: `predict` against `read_number` on the same picture."""
    rng = np.random.default_rng(seed)
    drawn = [write_number(x[i : i + 1], y[i : i + 1], rng, "wide", STYLES[i % 3], mixed=False) for i in range(len(x))]
    predicted = recognizer.predict_batch([p for p, _, _ in drawn])
    out = {"n": int(len(x)), "predict": float(np.mean([p.digit == label for p, label in zip(predicted, y)]))}
    for mode in ("pixels", "strokes"):
        readings = [recognizer.read_number(p, s if mode == "strokes" else None) for p, s, _ in drawn]
        out[mode] = float(np.mean([len(r.digits) == 1 and r.digits[0].prediction.digit == label for r, label in zip(readings, y)]))
        out[f"{mode}_split"] = float(np.mean([len(r.digits) != 1 for r in readings]))
    return out


def two_strokes(recognizer: Recognizer, n: int, seed: int = 0) -> dict:
    """Digits drawn in two strokes (4, 5, crossed 7, 1 with a foot): read as one digit?"""
    rng = np.random.default_rng(seed)
    drawn = [multi_stroke_digit(rng, STYLES[k % 3]) for k in range(n)]
    out = {"n": n}
    for mode in ("pixels", "strokes"):
        readings = [recognizer.read_number(p, s if mode == "strokes" else None) for p, s, _ in drawn]
        out[f"{mode}_whole"] = float(np.mean([len(r.digits) == 1 for r in readings]))
        out[f"{mode}_right"] = float(np.mean([r.number == str(d) for r, (_, _, d) in zip(readings, drawn)]))
    return out


def markdown(result: dict) -> str:
    rows = result["numbers"]["rows"]
    lines = [
        f"| gap, digits ({result['numbers']['n']} numbers each) | exact, from pixels | exact, with strokes | no \"?\", pixels | no \"?\", strokes |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, r in rows.items():
        lines.append(f"| {name} | {r['pixels']['exact']:.1%} | {r['strokes']['exact']:.1%} | {r['pixels']['sure']:.1%} | {r['strokes']['sure']:.1%} |")
    for label, gaps in (("2-4 digits, not touching", ("wide", "close")), ("2-4 digits, touching", ("touching",))):
        for mode in ("pixels", "strokes"):
            value = np.mean([rows[f"{g}, {k}"][mode]["exact"] for g in gaps for k in (2, 3, 4)])
            lines.append(f"| **{label}**, {mode} | **{value:.1%}** | | | |")
    s = result["singles"]
    lines += [
        "",
        f"| single digits on the wide canvas ({s['n']} {SOURCES[result['digits']]}) | right | split |",
        "|---|---:|---:|",
        f"| `predict` | {s['predict']:.2%} | |",
        f"| `read_number`, from pixels | {s['pixels']:.2%} | {s['pixels_split']:.2%} |",
        f"| `read_number`, with strokes | {s['strokes']:.2%} | {s['strokes_split']:.2%} |",
    ]
    t = result["two_strokes"]
    lines += [
        "",
        f"| digits in two strokes ({t['n']}: 4, 5, crossed 7, footed 1) | kept whole | read right |",
        "|---|---:|---:|",
        f"| from pixels | {t['pixels_whole']:.1%} | {t['pixels_right']:.1%} |",
        f"| with strokes | {t['strokes_whole']:.1%} | {t['strokes_right']:.1%} |",
    ]
    timing = result["numbers"]["time_4_digits"]
    lines += ["", "| `read_number`, 4-digit canvas | p50 | p90 |", "|---|---:|---:|"]
    for mode, v in timing.items():
        lines.append(f"| {mode} | {v['p50_ms']:.1f} ms | {v['p90_ms']:.1f} ms |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    from train.data import load_mnist

    p = argparse.ArgumentParser(prog="python -m bench.numbers")
    p.add_argument("--n", type=int, default=300, help="numbers per length and gap")
    p.add_argument("--singles", type=int, default=2000, help="single digits on the wide canvas")
    p.add_argument("--digits", choices=["test", "train", "fonts"], default="test")
    p.add_argument("--model", default=None)
    args = p.parse_args(argv)
    if args.digits == "fonts":
        from bench.heldout import install, mnist_style_digits

        install()
        x, y = mnist_style_digits()
    else:
        mnist = load_mnist()
        x, y = (mnist.x_test, mnist.y_test) if args.digits == "test" else (mnist.x_train, mnist.y_train)
    recognizer = Recognizer.load(args.model)
    started = time.time()
    result = {
        "digits": args.digits,
        "numbers": numbers(recognizer, x, y, args.n),
        "singles": singles(recognizer, x[: args.singles], y[: args.singles]),
        "two_strokes": two_strokes(recognizer, max(args.n, 1000)),
    }
    result["seconds"] = round(time.time() - started, 1)
    print(markdown(result))
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
