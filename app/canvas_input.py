"""What the drawing canvas sends, checked before a single pixel is decoded.

The canvas component (streamlit-drawable-canvas 0.13) reports each stroke as fabric.js JSON
and, with `return_image_data`, a PNG data URL that the browser makes: a tampered page can send
any PNG at all, and a small file can declare 10000x10000 pixels. `check_data_url` reads the
PNG's header (IHDR) from the text and refuses, before any decoding, anything that is not a PNG
of about the canvas's own size (times the device pixel ratio, plus a small margin) in 8-bit
channels, or more bytes than such a picture can take; `decode_canvas` then decodes what passed.
`check_strokes` bounds the stroke JSON.

    >>> strokes, data_url = raw_report(st_canvas(..., return_image_data=True))
    >>> pixels = decode_canvas(data_url, width=280, height=280)     # HxWx4 uint8, or CanvasInputError
    >>> drawing = check_strokes(json_data)                         # the same dict, or CanvasInputError

Messages are short and quiet: a real browser never sees them.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
import struct
import zlib

import numpy as np
from PIL import Image

PREFIX = "data:image/png;base64,"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The largest device pixel ratio a canvas export may carry. streamlit-drawable-canvas 0.13
# exports at the canvas's CSS size whatever the screen (fabric's toDataURL with multiplier 1,
# no retina scaling), so 1; a version that exports at the screen's ratio (phones have 2-3)
# would need this raised, and server.maxMessageSize with it.
MAX_PIXEL_RATIO = 1.0
SIZE_MARGIN = 2  # pixels either way: rounding of a fractional ratio
CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # PNG colour type -> channels (grey, RGB, grey+alpha, RGBA)
MAX_OBJECTS = 500  # strokes on one canvas; a digit takes a few
MAX_STROKES_BYTES = 2 * 1024 * 1024  # the stroke JSON, serialised; a long stroke is ~10 KB


class CanvasInputError(ValueError):
    """What the canvas sent is not a drawing of this canvas; nothing of it was decoded."""


def max_png_bytes(width: int, height: int, max_ratio: float = MAX_PIXEL_RATIO) -> int:
    """The most bytes an honest PNG of the largest allowed size takes: its raw pixels (PNG
    never grows incompressible data by more than a little) plus room for its chunks."""
    w, h = _largest(width, max_ratio), _largest(height, max_ratio)
    return w * h * 4 + h + 64 * 1024


def check_data_url(data_url: object, width: int, height: int, max_ratio: float = MAX_PIXEL_RATIO) -> bytes:
    """The PNG bytes of a canvas data URL, once its format, declared size and byte size are
    those of a `width` x `height` canvas; CanvasInputError otherwise. Decodes no pixels."""
    if not isinstance(data_url, str):
        raise CanvasInputError(f"the drawing arrived as {type(data_url).__name__}, not a picture")
    if not data_url.startswith(PREFIX):
        raise CanvasInputError("the drawing is not a PNG picture")
    limit = max_png_bytes(width, height, max_ratio)
    if (len(data_url) - len(PREFIX)) * 3 // 4 > limit:
        raise CanvasInputError("the drawing is larger than this canvas can make")
    try:
        png = base64.b64decode(data_url[len(PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise CanvasInputError("the drawing is not a readable picture") from None
    w, h, depth, colour = _ihdr(png)
    low_w, low_h = width - SIZE_MARGIN, height - SIZE_MARGIN
    if not (low_w <= w <= _largest(width, max_ratio) and low_h <= h <= _largest(height, max_ratio)):
        raise CanvasInputError(f"the drawing's size ({w}x{h}) is not this canvas's ({width}x{height})")
    # One ratio for both sides: the canvas's shape, not a strip.
    if abs(w / width - h / height) * max(width, height) > SIZE_MARGIN:
        raise CanvasInputError(f"the drawing's shape ({w}x{h}) is not this canvas's ({width}x{height})")
    if depth != 8 or colour not in CHANNELS:
        raise CanvasInputError("the drawing is not an 8-bit picture as a browser's canvas makes")
    return png


def decode_canvas(data_url: object, width: int, height: int, max_ratio: float = MAX_PIXEL_RATIO) -> np.ndarray:
    """The canvas's pixels (H x W x channels uint8) from a data URL that `check_data_url` passes."""
    return decode_png(check_data_url(data_url, width, height, max_ratio))


def decode_png(png: bytes) -> np.ndarray:
    """The pixels of PNG bytes that `check_data_url` returned (kept, say, for Undo)."""
    try:
        with Image.open(io.BytesIO(png), formats=["PNG"]) as image:
            image.load()
            pixels = np.asarray(image.convert("RGBA") if image.mode == "P" else image)
    except Exception:  # truncated or corrupt data after a sound header
        raise CanvasInputError("the drawing is damaged and cannot be read") from None
    return pixels


def raw_report(canvas: object) -> tuple[object, object]:
    """(stroke JSON, PNG data URL) of a streamlit-drawable-canvas result, as the browser sent
    them: the data URL is read before the component's own `image_data` would decode it. Pinned
    to 0.13.0 (requirements-app.txt), whose CanvasResult keeps it in `_image_data_url`."""
    return getattr(canvas, "json_data", None), getattr(canvas, "_image_data_url", None)


def check_strokes(drawing: object, max_objects: int = MAX_OBJECTS, max_bytes: int = MAX_STROKES_BYTES) -> dict:
    """The canvas's stroke JSON (its `json_data`) when it is a drawing of bounded size."""
    if drawing is None:
        return {"objects": []}
    if not isinstance(drawing, dict):
        raise CanvasInputError("the strokes are not a drawing")
    objects = drawing.get("objects", [])
    if not isinstance(objects, list) or not all(isinstance(o, dict) for o in objects):
        raise CanvasInputError("the strokes are not a list of shapes")
    if len(objects) > max_objects:
        raise CanvasInputError(f"the drawing has {len(objects)} strokes; the most kept is {max_objects}")
    try:
        size = len(json.dumps(drawing, allow_nan=False))
    except (TypeError, ValueError):
        raise CanvasInputError("the strokes are not plain JSON") from None
    if size > max_bytes:
        raise CanvasInputError("the strokes are larger than a drawing takes")
    return drawing


def _largest(side: int, max_ratio: float) -> int:
    return math.ceil(side * max_ratio) + SIZE_MARGIN


def _ihdr(png: bytes) -> tuple[int, int, int, int]:
    """(width, height, bit depth, colour type) from a PNG's first chunk, its CRC checked."""
    if not png.startswith(PNG_SIGNATURE) or len(png) < 33:
        raise CanvasInputError("the drawing is not a PNG picture")
    length, kind = struct.unpack(">I4s", png[8:16])
    body, crc = png[16:29], struct.unpack(">I", png[29:33])[0]
    if length != 13 or kind != b"IHDR" or zlib.crc32(kind + body) != crc:
        raise CanvasInputError("the drawing's PNG header is damaged")
    w, h, depth, colour = struct.unpack(">IIBB", body[:10])
    return w, h, depth, colour
