"""Held-out hands: digits, letters and signs from Debian fonts that training never sees.

    $ python -m bench.heldout [--draws 5] [--model models/digit_cnn.onnx] [--no-install]

The font packages below are installed with apt if they are missing (as root; otherwise say
how). Every digit of every font file is drawn as on the app's 280-pixel canvas: rendered
120-240 px tall somewhere on the canvas, its centre line traced with a round pen of 8-40 px
(`train.strokes.redraw`), and read by the app's `Recognizer`. Results are split by package
(font family), never by glyph. The non-lookalike letters and signs (`train.glyphs.NOT_DIGITS`)
of the same fonts, drawn the same way, should come out "not sure".
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import time

import numpy as np
from PIL import Image, ImageFont

from app.preprocess import to_model_input
from app.recognizer import Recognizer
from train.glyphs import DIGITS, NOT_DIGITS, glyph, load_font
from train.strokes import redraw

PACKAGES = {
    "fonts-dkg-handwriting": "handwriting", "fonts-breip": "handwriting", "fonts-femkeklaver": "handwriting",
    "fonts-rufscript": "handwriting", "fonts-humor-sans": "handwriting", "fonts-comic-neue": "handwriting",
    "fonts-dancingscript": "handwriting", "fonts-kaushanscript": "handwriting", "fonts-bwht": "handwriting",
    "fonts-sjfonts": "handwriting", "fonts-dejavu": "print", "fonts-liberation": "print",
    "fonts-freefont-ttf": "print", "fonts-urw-base35": "print",
}
SKIP = re.compile(r"D050000L|StandardSymbols|Dingbat|Symbol", re.I)  # fonts of symbols, not letters
MAX_FILES = 8  # font files per package, spread over its styles
CANVAS = 280
HEIGHT = (120, 240)  # drawn glyph height on the canvas, px
PEN = (8, 40)  # the canvas's pen widths, px


def install(packages=PACKAGES) -> None:
    """apt-get install the packages that are missing; a clear message if that is not possible."""
    missing = [p for p in packages if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode != 0]
    if not missing:
        return
    if os.geteuid() != 0:
        raise SystemExit(f"held-out fonts missing: run `sudo apt-get install {' '.join(missing)}`")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    done = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env)
    if done.returncode != 0:
        raise SystemExit(f"apt-get could not install {' '.join(missing)}")


def font_files(package: str, depth: int = 0) -> list[str]:
    """The package's .ttf/.otf files (through its fonts-* dependencies for metapackages)."""
    listed = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True).stdout.split()
    files = sorted(f for f in listed if f.lower().endswith((".ttf", ".otf")) and not SKIP.search(f) and os.path.isfile(f))
    if not files and depth < 2:
        depends = subprocess.run(["dpkg-query", "-W", "-f=${Depends}", package], capture_output=True, text=True).stdout
        for dep in re.findall(r"(fonts-[\w.+-]+)", depends):
            files += font_files(dep, depth + 1)
    if len(files) > MAX_FILES:  # an even spread over the styles, the same every run
        files = [files[i] for i in np.linspace(0, len(files) - 1, MAX_FILES).round().astype(int)]
    return files


def draw(path: str, char: str, rng: np.random.Generator) -> Image.Image | None:
    """`char` from the font file, drawn on a black 280-px canvas with a round white pen."""
    height = int(rng.integers(*HEIGHT))
    font = ImageFont.truetype(path, 2 * height)
    mask = font.getmask(char, mode="L")
    if not mask.size[0] or not mask.size[1] or bytes(mask) == bytes(font.getmask("\ue000", mode="L")):
        return None
    ink = Image.frombytes("L", mask.size, bytes(mask))
    ink = ink.crop(ink.getbbox())
    scale = min(height / ink.height, (CANVAS - 10) / ink.width)
    ink = ink.resize((max(1, round(ink.width * scale)), max(1, round(ink.height * scale))), Image.Resampling.LANCZOS)
    canvas = Image.new("L", (CANVAS, CANVAS))
    canvas.paste(ink, (int(rng.integers(0, CANVAS - ink.width + 1)), int(rng.integers(0, CANVAS - ink.height + 1))))
    return redraw(canvas, width=float(rng.integers(PEN[0], PEN[1] + 1)), blur=0.7)


def mnist_style_digits(packages=PACKAGES) -> tuple[np.ndarray, np.ndarray]:
    """Every digit of every held-out font file as MNIST has its digits: uint8 (N, 28, 28), white
    on black, through the app's own `to_model_input` (fitted into 20x20, centred by mass); and
    the labels (N,). Glyphs a font lacks are left out (`train.glyphs.glyph`)."""
    images, labels = [], []
    for package in packages:
        for path in font_files(package):
            font = load_font(path)
            for char in DIGITS:
                if (image := glyph(font, char)) is not None and (x := to_model_input(image)) is not None:
                    images.append(np.clip(np.rint(x * 255), 0, 255).astype(np.uint8))
                    labels.append(int(char))
    return np.stack(images), np.array(labels, np.uint8)


def evaluate(recognizer: Recognizer, draws: int = 5, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    rows = {}
    for package, kind in PACKAGES.items():
        files = font_files(package)
        digits, labels, others = [], [], []
        for path in files:
            for char in DIGITS:
                for _ in range(draws):
                    if (image := draw(path, char, rng)) is not None:
                        digits.append(image)
                        labels.append(int(char))
            for char in NOT_DIGITS:
                if (image := draw(path, char, rng)) is not None:
                    others.append(image)
        read = recognizer.predict_batch(digits)
        junk = recognizer.predict_batch(others)
        rows[package] = {
            "kind": kind,
            "files": len(files),
            "digits": len(read),
            "correct": sum(r.digit == y for r, y in zip(read, labels)),
            "wrong_ok": sum(r.digit != y and r.status == "ok" for r, y in zip(read, labels)),
            "signs": len(junk),
            "signs_not_sure": sum(r.status != "ok" for r in junk),
            "confusions": _confusions(read, labels),
        }
    total = {k: sum(r[k] for r in rows.values()) for k in ("files", "digits", "correct", "wrong_ok", "signs", "signs_not_sure")}
    return {"packages": rows, "total": total}


def _confusions(read, labels, top: int = 4) -> list[str]:
    pairs = {}
    for r, y in zip(read, labels):
        if r.digit != y:
            pairs[f"{y}->{r.digit}"] = pairs.get(f"{y}->{r.digit}", 0) + 1
    return [f"{k} x{v}" for k, v in sorted(pairs.items(), key=lambda kv: -kv[1])[:top]]


def markdown(result: dict) -> str:
    lines = ["| held-out package | files | digits | read right | wrong digit, \"ok\" | letters & signs \"not sure\" | commonest errors |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for name, r in list(result["packages"].items()) + [("**all**", dict(result["total"], confusions=[]))]:
        if not r["digits"]:
            lines.append(f"| {name} | {r['files']} | 0 | | | | not installed or no digits |")
            continue
        lines.append(
            f"| {name} | {r['files']} | {r['digits']} | {r['correct'] / r['digits']:.2%} | {r['wrong_ok'] / r['digits']:.2%} "
            f"| {r['signs_not_sure'] / max(r['signs'], 1):.1%} | {', '.join(r['confusions'])} |"
        )
    return "\n".join(lines)


def mnist_test(model: str | None = None) -> dict:
    """MNIST test accuracy of the fp32 model and of the int8 one beside it, as the app reads them."""
    from app.contract import model_paths, project_path
    from train.data import load_mnist

    mnist = load_mnist()
    paths = model_paths({"DIGITS_MODEL": str(project_path(model))} if model else None)
    out = {}
    for precision, path in paths.items():
        read = Recognizer.load(path).predict_batch(list(mnist.x_test))
        out[precision] = float(np.mean([r.digit == y for r, y in zip(read, mnist.y_test)]))
    return out


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(prog="python -m bench.heldout")
    p.add_argument("--draws", type=int, default=5, help="drawings of each digit of each font file")
    p.add_argument("--model", default=None)
    p.add_argument("--no-install", action="store_true", help="measure on the fonts already installed")
    args = p.parse_args(argv)
    if not args.no_install:
        install()
    recognizer = Recognizer.load(args.model)
    started = time.time()
    result = evaluate(recognizer, args.draws)
    result["mnist_test"] = mnist_test(args.model)
    result["model"] = recognizer.card.get("version")
    result["seconds"] = round(time.time() - started, 1)
    print(markdown(result))
    print("MNIST test: " + ", ".join(f"{k} {v:.2%}" for k, v in result["mnist_test"].items()))
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
