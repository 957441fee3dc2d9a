"""Read the digit in picture files from the command line, with the same model and steps as the page.

    $ python -m app.predict seven.png scribble.png blank.png bad.png
    seven.png: 7 (99.8 %)
    scribble.png: not sure — 4 (52 %) or 9 (40 %)
    blank.png: empty — no ink found
    bad.png: error — the file is not a picture in a format we read (...)
    $ python -m app.predict --json *.png      # one JSON object per line, same order
    $ python -m app.predict --model models/digit_cnn.int8.onnx seven.png
    $ cat seven.png | python -m app.predict -           # `-` reads the picture from standard input
    $ digits predict seven.png                          # the same, once installed (`pip install -e .`)
    $ python -m app.predict --number year.png room.png  # whole numbers, digit by digit
    year.png: 2026 (4 digits, the least sure 97.9 %)
    room.png: 4?7 — not sure of digit 2: 0 (55 %) or 6 (30 %)

Each file gets one line, in the order given; a file that cannot be read is reported on its line
and the rest still run. Exit code 0 when every file was read (ok, uncertain or empty), 1 when
any could not be, 2 for a usage error or no usable model. The model is loaded once and the
pictures go through it in batches.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence

from PIL import Image

from app.images import ImageError, frames_note, open_image
from app.numbers import NumberReading
from app.reading import Reading, Status, percent
from app.recognizer import ModelError, Recognizer

BATCH_SIZE = 64  # pictures per model call
BATCH_PIXELS = 64_000_000  # decoded pixels held at once, so many large photos do not fill memory
STDIN = "-"  # the file name that means standard input


def verdict(reading: Reading) -> str:
    """What was read, without the file name: `7 (99.8 %)`, `not sure — 4 (52 %) or 9 (40 %)`,
    `empty — no ink found` or `error — <reason>`."""
    p = reading.prediction
    if p is None:
        return f"error — {reading.message}"
    if p.status == Status.EMPTY:
        return "empty — no ink found"
    if p.status == Status.UNCERTAIN:
        (first, p1), (second, p2) = p.top2
        return f"not sure — {first} ({100 * p1:.0f} %) or {second} ({100 * p2:.0f} %)"
    # One decimal would round 99.97 % up to a certainty the model does not have.
    return f"{p.digit} ({percent(p.confidence)})"


def line(file: str, reading: Reading) -> str:
    """The human line, e.g. `seven.png: 7 (99.8 %)`."""
    note = f" — note: {reading.message}" if reading.prediction is not None and reading.message else ""
    return f"{file}: {verdict(reading)}{note}"


def record(file: str, reading: Reading) -> dict:
    """The JSON object: file, digit, confidence, probabilities, status, message (null when the
    digit is read with confidence and there is nothing to note)."""
    p = reading.prediction
    message = reading.message
    if p is not None and p.status != Status.OK:
        own = verdict(reading).replace(" — ", ": ", 1)
        message = own if message is None else f"{own}; {message}"
    return {
        "file": file,
        "digit": None if p is None else p.digit,
        "confidence": None if p is None or p.confidence is None else round(p.confidence, 6),
        "probabilities": None if p is None or p.probabilities is None else [round(v, 6) for v in p.probabilities],
        "status": reading.status,
        "message": message,
    }


def read_files(recognizer: Recognizer, files: Sequence[str]) -> Iterator[tuple[str, Reading]]:
    """(file, Reading) for each file, in order; pictures are decoded a batch at a time and
    predicted together. A file that cannot be read is a Reading with status "error"."""
    pending: list[tuple[str, Image.Image | None, str | None]] = []
    pixels = 0
    for file in files:
        try:
            image = open_image(sys.stdin.buffer.read(), name="standard input") if file == STDIN else open_image(file, name="the file")
            pending.append((file, image, frames_note(image)))
            pixels += image.width * image.height
        except ImageError as exc:
            pending.append((file, None, str(exc)))
        except Exception as exc:  # a decoder bug must cost one line, not the whole run
            pending.append((file, None, f"the file cannot be read ({type(exc).__name__}: {exc})"))
        if len(pending) >= BATCH_SIZE or pixels >= BATCH_PIXELS:
            yield from _predict(recognizer, pending)
            pending, pixels = [], 0
    yield from _predict(recognizer, pending)


def _predict(recognizer: Recognizer, pending: list) -> Iterator[tuple[str, Reading]]:
    images = [image for _, image, _ in pending if image is not None]
    try:
        readings = iter([Reading(p.status, p) for p in recognizer.predict_batch(images)])
    except Exception:
        readings = iter([_predict_one(recognizer, image) for image in images])  # find the one at fault
    for file, image, message in pending:
        if image is None:
            yield file, Reading(Status.ERROR, message=message)
            continue
        reading = next(readings)
        yield file, reading if reading.status == Status.ERROR else Reading(reading.status, reading.prediction, message=message)


def _predict_one(recognizer: Recognizer, image: Image.Image) -> Reading:
    try:
        prediction = recognizer.predict(image)
    except Exception as exc:
        return Reading(Status.ERROR, message=f"the picture could not be read as a digit ({type(exc).__name__}: {exc})")
    return Reading(prediction.status, prediction)


def number_verdict(reading: NumberReading) -> str:
    """What was read as a number: `2026 (4 digits, the least sure 97.9 %)`, `20?6 — not sure of
    digit 3: 0 (52 %) or 8 (40 %)`, `empty — no ink found` or `error — <reason>`."""
    if reading.status == Status.ERROR:
        return f"error — {reading.message}"
    if reading.status == Status.EMPTY:
        return "empty — no ink found"
    if reading.status == Status.UNCERTAIN:
        return f"{reading.number} — {_unsure(reading)}"
    least = percent(min(d.prediction.confidence for d in reading.digits))
    count = f"{len(reading.digits)} digits, the least sure" if len(reading.digits) > 1 else "1 digit,"
    return f"{reading.number} ({count} {least})"


def number_line(file: str, reading: NumberReading) -> str:
    """The human line, e.g. `year.png: 2026 (4 digits, the least sure 97.9 %)`."""
    note = f" — note: {reading.message}" if reading.status != Status.ERROR and reading.message else ""
    return f"{file}: {number_verdict(reading)}{note}"


def number_record(file: str, reading: NumberReading) -> dict:
    """The JSON object: file, number, status, digits (digit, confidence, status, box), message
    (null when every digit is read with confidence and there is nothing to note)."""
    message = reading.message
    if reading.status in (Status.UNCERTAIN, Status.EMPTY):
        own = _unsure(reading) if reading.status == Status.UNCERTAIN else "empty: no ink found"
        message = own if message is None else f"{own}; {message}"
    digits = [
        {"digit": d.prediction.digit, "confidence": round(d.prediction.confidence, 6), "status": d.prediction.status, "box": list(d.box)}
        for d in reading.digits
    ]
    return {"file": file, "number": reading.number, "status": reading.status, "digits": digits, "message": message}


def _unsure(reading: NumberReading) -> str:
    """`not sure of digit 3: 0 (52 %) or 8 (40 %)`, for each digit that is not ok."""
    said = []
    for i in reading.unsure:
        (first, p1), (second, p2) = reading.digits[i].prediction.top2
        said.append(f"digit {i + 1}: {first} ({100 * p1:.0f} %) or {second} ({100 * p2:.0f} %)")
    return "not sure of " + "; ".join(said)


def read_numbers(recognizer: Recognizer, files: Sequence[str]) -> Iterator[tuple[str, NumberReading]]:
    """(file, NumberReading) for each file, in order, each picture read on its own as a number.
    A file that cannot be read has status "error" and says why."""
    for file in files:
        try:
            image = open_image(sys.stdin.buffer.read(), name="standard input") if file == STDIN else open_image(file, name="the file")
        except ImageError as exc:
            yield file, NumberReading(None, Status.ERROR, (), str(exc))
            continue
        except Exception as exc:  # a decoder bug must cost one line, not the whole run
            yield file, NumberReading(None, Status.ERROR, (), f"the file cannot be read ({type(exc).__name__}: {exc})")
            continue
        try:
            reading = recognizer.read_number(image)
        except Exception as exc:
            yield file, NumberReading(None, Status.ERROR, (), f"the picture could not be read as a number ({type(exc).__name__}: {exc})")
            continue
        note = frames_note(image)
        yield file, reading if note is None else NumberReading(reading.number, reading.status, reading.digits, note)


def main(argv: Sequence[str] | None = None, prog: str = "python -m app.predict") -> int:
    """Run the command line with `argv` (default sys.argv[1:]); return the exit code."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Read the handwritten digit in each picture file (PNG, JPEG, GIF, BMP, WebP, TIFF).",
        epilog="Exit code: 0 every file was read, 1 some file could not be, 2 usage error or no usable model.",
    )
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="picture files, one digit each (one number each with --number); - reads standard input")
    parser.add_argument("--model", metavar="PATH", help="ONNX model (default: models/digit_cnn.onnx)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line instead of text")
    parser.add_argument("--number", action="store_true", help="read each picture as a number of one or more digits")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage and the problem
        return exc.code if isinstance(exc.code, int) else 2

    try:
        recognizer = Recognizer.load(args.model)
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    failed = False
    if args.number:
        for file, reading in read_numbers(recognizer, args.images):
            failed |= reading.status == Status.ERROR
            print(json.dumps(number_record(file, reading)) if args.json else number_line(file, reading), flush=True)
        return 1 if failed else 0
    for file, reading in read_files(recognizer, args.images):
        failed |= reading.status == Status.ERROR
        print(json.dumps(record(file, reading)) if args.json else line(file, reading), flush=True)
    return 1 if failed else 0


def run(argv: Sequence[str] | None = None, prog: str = "python -m app.predict") -> None:
    """`main` as a process: exits with its code, quietly on Ctrl-C or a closed pipe."""
    # File names that are not valid UTF-8 are printed escaped rather than crashing the run.
    sys.stdout.reconfigure(errors="backslashreplace")
    try:
        sys.exit(main(argv, prog))
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:  # e.g. `| head`: the reader has gone, so stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)


if __name__ == "__main__":
    run()
