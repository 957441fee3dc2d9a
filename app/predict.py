"""Read the digit in picture files from the command line, with the same model and steps as the page.

    $ python -m app.predict seven.png scribble.png blank.png bad.png
    seven.png: 7 (99.8 %)
    scribble.png: not sure — 4 (52 %) or 9 (40 %)
    blank.png: empty — no ink found
    bad.png: error — the file is not a picture in a format we read (...)
    $ python -m app.predict --json *.png      # one JSON object per line, same order
    $ python -m app.predict --model models/digit_cnn.int8.onnx seven.png
    $ python -m app.predict --number year.png room.png   # whole numbers, digit by digit
    year.png: 2026 (4 digits, the least sure 97.9 %)
    room.png: 4?7 — not sure of digit 2: 0 (55 %) or 6 (30 %)

Each file gets one line, in the order given; a file that cannot be read is reported on its line
and the rest still run. Exit code 0 when every file was read (ok, uncertain or empty), 1 when
any could not be, 2 for a usage error or no usable model. The model is loaded once and the
pictures go through it in batches: a hundred digits take well under a second after loading.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from PIL import Image

from app.images import ImageError, frames_note, open_image
from app.numbers import Reading
from app.recognizer import ModelError, Prediction, Recognizer

BATCH_SIZE = 64  # pictures per model call
BATCH_PIXELS = 64_000_000  # decoded pixels held at once, so many large photos do not fill memory


@dataclass(frozen=True)
class Result:
    """What became of one file: a prediction, or the reason it could not be read."""

    file: str
    prediction: Prediction | None  # None when the file could not be read
    message: str | None  # the reason for an error, or a note (frames) alongside a prediction

    @property
    def status(self) -> str:
        return "error" if self.prediction is None else self.prediction.status

    def verdict(self) -> str:
        """What was read, without the file name: `7 (99.8 %)`, `not sure — 4 (52 %) or 9 (40 %)`,
        `empty — no ink found` or `error — <reason>`."""
        p = self.prediction
        if p is None:
            return f"error — {self.message}"
        if p.status == "empty":
            return "empty — no ink found"
        if p.status == "uncertain":
            (first, p1), (second, p2) = p.top2
            return f"not sure — {first} ({100 * p1:.0f} %) or {second} ({100 * p2:.0f} %)"
        # One decimal would round 99.97 % up to a certainty the model does not have.
        shown = ">99.9" if p.confidence > 0.999 else f"{100 * p.confidence:.1f}"
        return f"{p.digit} ({shown} %)"

    def line(self) -> str:
        """The human line, e.g. `seven.png: 7 (99.8 %)`."""
        note = f" — note: {self.message}" if self.prediction is not None and self.message else ""
        return f"{self.file}: {self.verdict()}{note}"

    def record(self) -> dict:
        """The JSON object: file, digit, confidence, probabilities, status, message (null when
        the digit is read with confidence and there is nothing to note)."""
        p = self.prediction
        message = self.message
        if p is not None and p.status != "ok":
            own = self.verdict().replace(" — ", ": ", 1)
            message = own if message is None else f"{own}; {message}"
        return {
            "file": self.file,
            "digit": None if p is None else p.digit,
            "confidence": None if p is None or p.confidence is None else round(p.confidence, 6),
            "probabilities": None if p is None or p.probabilities is None else [round(v, 6) for v in p.probabilities],
            "status": self.status,
            "message": message,
        }


def read_files(recognizer: Recognizer, files: Sequence[str]) -> Iterator[Result]:
    """One Result per file, in order; pictures are decoded a batch at a time and predicted together."""
    pending: list[tuple[str, Image.Image | None, str | None]] = []
    pixels = 0
    for file in files:
        try:
            image = open_image(file, name="the file")
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


def _predict(recognizer: Recognizer, pending: list) -> Iterator[Result]:
    images = [image for _, image, _ in pending if image is not None]
    try:
        predictions = iter(recognizer.predict_batch(images))
    except Exception:
        predictions = iter([_predict_one(recognizer, image) for image in images])  # find the one at fault
    for file, image, message in pending:
        if image is None:
            yield Result(file, None, message)
            continue
        prediction = next(predictions)
        if isinstance(prediction, str):
            yield Result(file, None, prediction)
        else:
            yield Result(file, prediction, message)


def _predict_one(recognizer: Recognizer, image: Image.Image) -> Prediction | str:
    try:
        return recognizer.predict(image)
    except Exception as exc:
        return f"the picture could not be read as a digit ({type(exc).__name__}: {exc})"


@dataclass(frozen=True)
class NumberResult:
    """What became of one file read as a number: a reading, or the reason it could not be read."""

    file: str
    reading: Reading | None  # None when the file could not be read
    message: str | None  # the reason for an error, or a note (frames) alongside a reading

    @property
    def status(self) -> str:
        return "error" if self.reading is None else self.reading.status

    def verdict(self) -> str:
        """`2026 (4 digits, the least sure 97.9 %)`, `20?6 — not sure of digit 3: 0 (52 %) or
        8 (40 %)`, `empty — no ink found` or `error — <reason>`."""
        r = self.reading
        if r is None:
            return f"error — {self.message}"
        if r.status == "empty":
            return "empty — no ink found"
        if r.status == "uncertain":
            return f"{r.number} — {_unsure(r)}"
        least = min(d.prediction.confidence for d in r.digits)
        shown = ">99.9" if least > 0.999 else f"{100 * least:.1f}"
        count = f"{len(r.digits)} digits, the least sure" if len(r.digits) > 1 else "1 digit,"
        return f"{r.number} ({count} {shown} %)"

    def line(self) -> str:
        note = f" — note: {self.message}" if self.reading is not None and self.message else ""
        return f"{self.file}: {self.verdict()}{note}"

    def record(self) -> dict:
        """The JSON object: file, number, status, digits (digit, confidence, status, box), message
        (null when every digit is read with confidence and there is nothing to note)."""
        r = self.reading
        message = self.message
        if r is not None and r.status != "ok":
            own = "empty: no ink found" if r.status == "empty" else _unsure(r)
            message = own if message is None else f"{own}; {message}"
        digits = [] if r is None else [
            {"digit": d.prediction.digit, "confidence": round(d.prediction.confidence, 6), "status": d.prediction.status, "box": list(d.box)}
            for d in r.digits
        ]
        return {"file": self.file, "number": None if r is None else r.number, "status": self.status, "digits": digits, "message": message}


def _unsure(reading: Reading) -> str:
    """`not sure of digit 3: 0 (52 %) or 8 (40 %)`, for each digit that is not ok."""
    said = []
    for i in reading.unsure:
        (first, p1), (second, p2) = reading.digits[i].prediction.top2
        said.append(f"digit {i + 1}: {first} ({100 * p1:.0f} %) or {second} ({100 * p2:.0f} %)")
    return "not sure of " + "; ".join(said)


def read_numbers(recognizer: Recognizer, files: Sequence[str]) -> Iterator[NumberResult]:
    """One NumberResult per file, in order, each picture decoded and read on its own."""
    for file in files:
        try:
            image = open_image(file, name="the file")
        except ImageError as exc:
            yield NumberResult(file, None, str(exc))
            continue
        except Exception as exc:  # a decoder bug must cost one line, not the whole run
            yield NumberResult(file, None, f"the file cannot be read ({type(exc).__name__}: {exc})")
            continue
        try:
            yield NumberResult(file, recognizer.read_number(image), frames_note(image))
        except Exception as exc:
            yield NumberResult(file, None, f"the picture could not be read as a number ({type(exc).__name__}: {exc})")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with `argv` (default sys.argv[1:]); return the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m app.predict",
        description="Read the handwritten digit in each picture file (PNG, JPEG, GIF, BMP, WebP, TIFF).",
        epilog="Exit code: 0 every file was read, 1 some file could not be, 2 usage error or no usable model.",
    )
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="picture files, one digit each (one number each with --number)")
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
    for result in (read_numbers if args.number else read_files)(recognizer, args.images):
        failed |= result.status == "error"
        print(json.dumps(result.record()) if args.json else result.line(), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    # File names that are not valid UTF-8 are printed escaped rather than crashing the run.
    sys.stdout.reconfigure(errors="backslashreplace")
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:  # e.g. `| head`: the reader has gone, so stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
