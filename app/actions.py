"""What the page does for a visitor, without Streamlit: read a drawing or an upload, save a
labelled drawing, delete one. Each returns a `Reading` or an `Outcome` that says how it went.

    >>> reading = analyse(recognizer, canvas_rgba)       # status ok | uncertain | empty | error
    >>> outcome = save_feedback(store, canvas_rgba, 7, reading.prediction, "2026.11.25", session="ab12")
    >>> shown = read_picture(recognizer, canvas_rgba, strokes)   # a NumberReading for 2+ digits, else a Reading
    >>> outcome = save_number_feedback(store, canvas_rgba, "2046", shown, "2026.11.25", session="ab12")
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from PIL import Image

from app.contract import DATA_ENV
from app.dataset import NOT_A_DIGIT, NOT_A_DIGIT_FOLDER, DrawingStore, label_name
from app.images import ImageError, frames_note, open_image
from app.numbers import NumberReading
from app.plain_text import literal
from app.reading import Outcome, Reading, Status, sentence
from app.recognizer import Prediction, Recognizer
from app.store_index import MAX_NUMBER_DIGITS, NUMBERS_FOLDER
from app.store_number import digit_crop
from app.strokes import digits_drawn

log = logging.getLogger("digits.page")
UPLOAD_LIMIT = 10 * 1024 * 1024  # bytes; Streamlit's own limit (.streamlit/config.toml) is a little higher
UPLOAD_FORMATS = "PNG, JPEG, GIF, BMP, WebP or TIFF"


@dataclass(frozen=True)
class Upload:
    """An uploaded file opened: `image` (first frame), or `error`; `note` for several frames."""

    image: Image.Image | None
    error: str | None = None
    note: str | None = None


def analyse(recognizer: Recognizer | None, image: Image.Image | np.ndarray | None) -> Reading:
    """The prediction for `image` (None: an untouched canvas) and, for a digit, why.
    Without a recognizer (no model loaded) the result is an "error"."""
    if recognizer is None:
        return Reading(Status.ERROR, message="No model loaded.")
    if image is None:
        return Reading(Status.EMPTY)
    try:
        prediction = recognizer.predict(image)
    except ValueError as exc:
        return Reading(Status.ERROR, message=f"This picture cannot be read: {exc}.")
    return _explained(recognizer, prediction)


def _explained(recognizer: Recognizer, prediction: Prediction) -> Reading:
    """What `analyse` shows for a prediction `predict` made: for a digit, with why."""
    if prediction.status == Status.EMPTY:
        return Reading(Status.EMPTY, prediction)
    return Reading(prediction.status, prediction, recognizer.evidence(prediction))


def read_picture(
    recognizer: Recognizer | None, image: Image.Image | np.ndarray | None, strokes=None
) -> Reading | NumberReading:
    """What to show for a picture: the number when it has two digits or more; otherwise what
    `analyse` gives, so one digit is shown exactly as before numbers were read.

    The canvas's `strokes` say first: drawn as one digit, the picture is read as one digit,
    unless the model doubts it and reads it better as digits written one after the other,
    touching (`read_number` with the strokes). Drawn as several, it is read both with them and from its pixels alone
    (`Recognizer.read_number`), and the reading whose digits are all sure, then whose least sure
    digit is surest, wins: the strokes split digits that touch, but also, now and then, one
    digit drawn in two strokes (a 4, a 9), which its pixels read as one sure digit. Without
    strokes (an upload) the pixels alone say."""
    if recognizer is None or image is None:
        return analyse(recognizer, image)
    readings = []
    try:
        drawn_as = digits_drawn(strokes) if strokes is not None else 0
    except ValueError:
        drawn_as = 0  # what is no list is no strokes
    if drawn_as == 1:  # strokes drawn as one digit: one digit, read as ever, unless they are two touching
        try:
            reading = recognizer.read_number(image, strokes)
        except ValueError:
            reading = None
        if reading is not None and len(reading.digits) > 1:
            return reading
        return _one_digit(recognizer, image, [reading] if reading is not None else [])
    divides = drawn_as > 1
    for given in ([strokes] if divides else []) + [None]:
        try:  # beside the strokes' reading, the pixels' is a second opinion: upright cuts suffice
            readings.append(recognizer.read_number(image, given, slanted=not divides))
        except ValueError:
            continue  # strokes it cannot use, or a picture `analyse` will say why it refuses
    readings = [r for r in readings if r.digits]
    if readings:
        best = max(readings, key=lambda r: (r.status == Status.OK, min(d.prediction.confidence for d in r.digits)))
        if len(best.digits) > 1:
            return best
    return _one_digit(recognizer, image, readings)


def _one_digit(recognizer: Recognizer, image, readings: list[NumberReading]) -> Reading:
    """What `analyse` gives: from a reading that read all the ink as `predict` does, without
    reading it again, if there is one."""
    whole = next((r for r in readings if r.whole), None)
    return _explained(recognizer, whole.digits[0].prediction) if whole else analyse(recognizer, image)


def best_guess(reading: NumberReading) -> str:
    """The number with each digit's best guess, "?" or not: what "It's ..." would save."""
    return "".join(str(d.prediction.digit) for d in reading.digits)


def typed_number(text: object) -> str:
    """A number typed as a correction ("2 046" and " 2046 " are 2046), or ValueError saying
    what is expected."""
    typed = "".join(text.split()) if isinstance(text, str) else ""
    if not typed:
        raise ValueError("type the number it was first, like 2046")
    if not typed.isascii() or not typed.isdigit():
        raise ValueError(f"type digits only (0-9), like 2046; “{literal(typed[:20])}” is not a number")
    if len(typed) > MAX_NUMBER_DIGITS:
        raise ValueError(f"a number of at most {MAX_NUMBER_DIGITS} digits, please; that one has {len(typed)}")
    return typed


def save_number_feedback(
    store: DrawingStore,
    image: Image.Image | np.ndarray,
    typed: str | None,
    reading: NumberReading,
    model_version: str | None,
    session: str | None = None,
) -> Outcome:
    """Save `image` as the number `typed`, and, when it has as many digits as were found, each
    digit's crop (cut from `image` by its box) with its label; the outcome in a visitor's words."""
    try:
        number = typed_number(typed)
    except ValueError as exc:
        return Outcome(False, f"Not saved: {sentence(str(exc))}")
    digits = []
    if len(number) == len(reading.digits):
        digits = [
            (digit_crop(image, d.box), int(label), d.prediction.digit, d.prediction.confidence)
            for d, label in zip(reading.digits, number)
        ]
    try:
        store.save_number(image, number, reading.number, digits, model_version, session=session)
    except ValueError as exc:
        return Outcome(False, f"Not saved: {sentence(str(exc))}")
    except OSError as exc:
        log.error("cannot save into %s (%s): point %s at a writable folder", store.root, exc, DATA_ENV)
        return Outcome(False, "Not saved: this server cannot store drawings right now. Nothing was kept.")
    what = (
        f"with its {len(digits)} digits" if digits
        else f"as a whole only: it has {len(number)} digits and the page found {len(reading.digits)}"
    )
    return Outcome(True, f"Saved {number}, {what}. Thank you: once the operator has looked at it, the next model learns from it.")


def read_upload(data: bytes, name: str) -> Upload:
    """Open the bytes of an uploaded file; a file we cannot use gives `error`, a sentence.
    The messages name the file as Markdown that shows its name as text (app/plain_text.py)."""
    if len(data) > UPLOAD_LIMIT:
        return Upload(None, error=too_large(name, f"{len(data) / 2**20:.1f} MB"))
    name = literal(name)
    try:
        image = open_image(data, name)
    except ImageError as exc:
        return Upload(None, error=f"{sentence(str(exc))} Try a photo of one digit ({UPLOAD_FORMATS}).")
    note = frames_note(image)
    return Upload(image, note=None if note is None else f"{name}: {sentence(note)}")


def too_large(name: str, size: str) -> str:
    """The refusal of an upload over UPLOAD_LIMIT, `size` as it is to be shown ("13.0 MB"); the
    file's name (the browser's words) as Markdown-escaped text."""
    return (
        f"{literal(name)} is {literal(size)}; the page takes pictures up to {UPLOAD_LIMIT // 2**20} MB. "
        "Crop it to the digit or save it smaller, then try again."
    )


def save_feedback(
    store: DrawingStore,
    image: Image.Image | np.ndarray,
    label: int | None,
    prediction: Prediction | None,
    model_version: str | None,
    session: str | None = None,
) -> Outcome:
    """Save `image` as a drawing of `label` by browser session `session`; the outcome says
    "Saved as 7 ..." or why not, in words for a visitor (no server paths: those go to the log)."""
    if label is None:
        return Outcome(False, "Not saved: choose what it was under “No, it was:” first.")
    try:
        example = store.save(
            image,
            label=label,
            predicted=None if prediction is None else prediction.digit,
            confidence=None if prediction is None else prediction.confidence,
            model_version=model_version,
            session=session,
        )
    except ValueError as exc:
        return Outcome(False, f"Not saved: {sentence(str(exc))}")
    except OSError as exc:
        log.error("cannot save into %s (%s): point %s at a writable folder", store.root, exc, DATA_ENV)
        return Outcome(False, "Not saved: this server cannot store drawings right now. Nothing was kept.")
    return Outcome(True, f"Saved as {label_name(example.label)}. Thank you: once the operator has looked at it, the next model learns from it.")


def delete_example(store: DrawingStore, file: str, session: str | None = None) -> Outcome:
    """Delete one saved drawing (with `session`: only one of that session's own); the outcome
    says what happened."""
    try:
        gone = store.delete(file, session=session)
    except ValueError as exc:
        return Outcome(False, f"Not deleted: {sentence(str(exc))}")
    except OSError as exc:
        log.error("cannot delete from %s (%s)", store.root, exc)
        return Outcome(False, "Not deleted: this server cannot change its drawings right now.")
    folder = file.split("/")[0]
    if folder == NUMBERS_FOLDER:
        return Outcome(True, "Deleted a number and the digits saved with it." if gone else "That number was already deleted.")
    what = f"that is {label_name(NOT_A_DIGIT)}" if folder == NOT_A_DIGIT_FOLDER else f"of {folder}"
    return Outcome(True, f"Deleted a drawing {what}." if gone else "That drawing was already deleted.")


def approve(store: DrawingStore, files: list[str] | None) -> Outcome:
    """Approve drawings for training (the operator's; None: every pending one)."""
    try:
        count = store.approve(files)
    except ValueError as exc:
        return Outcome(False, f"Not approved: {sentence(str(exc))}")
    except OSError as exc:
        log.error("cannot approve in %s (%s)", store.root, exc)
        return Outcome(False, "Not approved: this server cannot change its drawings right now.")
    return Outcome(True, f"Approved {count} drawing{'s' if count != 1 else ''} for training.")
