"""A picture to be saved in the drawing store: checked (uint8, a sensible shape, not huge),
averaged down to what training needs, encoded as PNG. Labels and confidences checked too.

    >>> data = png_bytes(canvas_rgba)        # PNG bytes, at most SAVE_SIDE on a side; or ValueError
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from app.images import shrunk

MAX_SIDE = 2000  # larger pictures are refused: a canvas is a few hundred pixels
MAX_PIXELS = 4_000_000
SAVE_SIDE = 560  # saved pictures are averaged down to this side: the widest canvas (app/layout.py)

# Modes PNG stores as they are; anything else is converted to RGBA first.
_PNG_MODES = {"1", "L", "LA", "I;16", "P", "RGB", "RGBA"}


def digit(value: object, what: str) -> int:
    """`value` as an int 0..9; bools, strings, floats and other numbers are refused."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if 0 <= value <= 9:
            return int(value)
    raise ValueError(f"{what} must be an integer 0-9, got {value!r} ({type(value).__name__})")


def label_value(value: object) -> int:
    """A label: a digit 0..9, or NOT_A_DIGIT (10)."""
    from app.store_index import NOT_A_DIGIT

    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value == NOT_A_DIGIT:
        return NOT_A_DIGIT
    try:
        return digit(value, "labels")
    except ValueError:
        raise ValueError(
            f"labels must be an integer 0-9 or NOT_A_DIGIT ({NOT_A_DIGIT}), got {value!r} ({type(value).__name__})"
        ) from None


def confidence_value(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        if np.isfinite(value) and 0.0 <= value <= 1.0:
            return float(value)
    raise ValueError(f"confidence must be a number from 0 to 1 or None, got {value!r}")


def to_image(image: Image.Image | np.ndarray, side: int = SAVE_SIDE) -> Image.Image:
    """A PIL image PNG can store, after the size checks, averaged down to `side`."""
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8:
            raise ValueError(f"expected a uint8 array, got dtype {image.dtype}")
        if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (3, 4))):
            raise ValueError(f"expected an array shaped HxW, HxWx3 or HxWx4, got {image.shape}")
        check_size(image.shape[1], image.shape[0])
        mode = {2: "L", 3: "RGB", 4: "RGBA"}[image.shape[2] if image.ndim == 3 else 2]
        image = Image.fromarray(np.ascontiguousarray(image), mode)
    elif not isinstance(image, Image.Image):
        raise ValueError(f"expected a PIL image or a NumPy array, got {type(image).__name__}")
    check_size(image.width, image.height)
    if max(image.size) > side:
        image = shrunk(image, side)
    return image if image.mode in _PNG_MODES else image.convert("RGBA")


def check_size(width: int, height: int) -> None:
    if width < 1 or height < 1:
        raise ValueError(f"image has no pixels ({width}x{height})")
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise ValueError(
            f"image is {width}x{height} pixels; the most accepted is {MAX_SIDE} on a side "
            f"and {MAX_PIXELS:,} in all"
        )


def png_bytes(image: Image.Image | np.ndarray, side: int = SAVE_SIDE) -> bytes:
    """`image` checked, averaged down to `side` (SAVE_SIDE) and encoded as PNG."""
    image = to_image(image, side)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
