"""A whole number for the drawing store: its picture and string checked, and each digit cut
from the picture by the box it was read in, ready to be saved with it (app/dataset.py).

    >>> crop = digit_crop(canvas_rgba, (40, 30, 120, 250))        # the digit with a little paper
    >>> files = number_files(canvas_rgba, "2046", "20?6", [(crop, 2, 2, 0.99), ...])
    >>> store.save_number(canvas_rgba, "2046", "20?6", digits)   # the same, written as one save

The whole picture is kept larger than a digit's (NUMBER_SAVE_SIDE), so its digits stay legible.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from app.store_index import MAX_NUMBER_DIGITS, NUMBER_PATTERN, NUMBERS_FOLDER, READ_NUMBER_PATTERN, label_folder
from app.store_picture import confidence_value, digit, label_value, png_bytes

NUMBER_SAVE_SIDE = 640  # a whole number's picture is averaged down to this width at most
CROP_MARGIN = 0.12  # paper kept around a digit's box, as a share of its height


def number_value(value: object, what: str = "number", pattern=NUMBER_PATTERN) -> str:
    """`value` as a number's string ("2046"), or ValueError saying what was expected."""
    if not (isinstance(value, str) and pattern.fullmatch(value)):
        raise ValueError(f"the {what} must be 1 to {MAX_NUMBER_DIGITS} digits (0-9), got {value!r:.40}")
    return value


def number_files(image, number: str, predicted: str | None, digits) -> list[tuple[str, bytes, dict]]:
    """(folder, PNG bytes, index fields) for a whole number and its digits, every one checked:
    ValueError before anything is written. `digits` are (picture, label, predicted, confidence)."""
    number = number_value(number)
    if predicted is not None:
        predicted = number_value(predicted, "number read", READ_NUMBER_PATTERN)
    digits = list(digits)
    if digits and len(digits) != len(number):
        raise ValueError(f"a number of {len(number)} digits saves {len(number)} digit pictures, not {len(digits)}")
    files = [(NUMBERS_FOLDER, png_bytes(image, NUMBER_SAVE_SIDE), {"number": number, "predicted": predicted})]
    for (picture, label, guess, confidence), typed in zip(digits, number):
        label = label_value(label)
        if str(label) != typed:
            raise ValueError(f"the digit pictures must be labelled as the number reads, got {label} for {typed}")
        fields = {
            "label": label,
            "predicted": None if guess is None else digit(guess, "predicted digits"),
            "confidence": confidence_value(confidence),
        }
        files.append((label_folder(label), png_bytes(picture), fields))
    return files


def digit_crop(image: Image.Image | np.ndarray, box: tuple[int, int, int, int]) -> Image.Image | np.ndarray:
    """The part of `image` inside `box` (x0, y0, x1, y1; x1, y1 exclusive), with CROP_MARGIN
    of paper around it where the picture has it, as the same kind of picture."""
    x0, y0, x1, y1 = (int(v) for v in box)
    width, height = (image.shape[1], image.shape[0]) if isinstance(image, np.ndarray) else image.size
    margin = max(2, round(CROP_MARGIN * (y1 - y0)))
    x0, y0 = max(0, x0 - margin), max(0, y0 - margin)
    x1, y1 = min(width, x1 + margin), min(height, y1 + margin)
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"the box {box} is outside the {width}x{height} picture")
    if isinstance(image, np.ndarray):
        return np.ascontiguousarray(image[y0:y1, x0:x1])
    return image.crop((x0, y0, x1, y1))
