"""Open a picture someone gave us (an upload or a file on the command line) safely.

`open_image` is the one loader the page and the CLI share. It accepts PNG, JPEG, GIF, BMP, WebP
and TIFF only (never formats that run external programs, such as EPS), refuses files over
`MAX_FILE_BYTES` and pictures over `MAX_PIXELS` before decoding a single pixel, decodes inside a
try so truncated or corrupt files become a clear `ImageError`, keeps the first frame of animated
GIFs and multi-page TIFFs (the number of frames is left in `image.info["frames"]`), applies the
camera's EXIF orientation, and averages pictures larger than `WORK_SIDE` down to it (the
preprocessing works at 640 px), decoding the huge ones one at a time, so that several large
uploads at once cannot exhaust the server's memory.

    >>> image = open_image("seven.jpg")              # or the bytes of an upload
    >>> open_image(b"hello")                         # ImageError: ... is not a picture ...

A 20000x20000 PNG is refused from its header, without allocating its 400 million pixels.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import threading
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_FILE_BYTES = 20 * 1024 * 1024  # a phone photo is a few MB; the page's upload limit is 10 MB
MAX_PIXELS = 50_000_000  # a 50-megapixel camera; more is a mistake or a decompression bomb
WORK_SIDE = 1024  # larger pictures are averaged down to this side (JPEGs decoded at a reduced scale)
BAND_ROWS = 64  # output rows made at a time when a picture with alpha is averaged down
LARGE_DECODE_PIXELS = 4 * WORK_SIDE * WORK_SIDE  # decoding more than this holds a process-wide lock
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")  # phones' MPO files open as JPEG
FORMAT_NAMES = "PNG, JPEG, GIF, BMP, WebP or TIFF"
# Modes the preprocessing reads directly; anything else (CMYK, YCbCr, LAB, ...) becomes RGB.
_DIRECT_MODES = {"1", "L", "LA", "La", "P", "PA", "RGB", "RGBA", "RGBa", "I", "I;16", "I;16B", "I;16L", "F"}

# Pillow's own guard raises beyond twice this; ours (below) refuses anything beyond it, before
# decoding, so Pillow's warning between the two would only repeat what we already enforce.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
_LARGE_DECODE = threading.Lock()


class ImageError(ValueError):
    """The file is not a picture we can use; the message says why, for the person who gave it."""


def open_image(source: bytes | bytearray | memoryview | str | os.PathLike | BinaryIO, name: str | None = None) -> Image.Image:
    """The first frame of the picture in `source` (bytes, a path or a binary file), decoded.

    `name` is used in messages (default: the path, or "the file"). Raises ImageError.
    """
    data, name = _read(source, name)
    if not data:
        raise ImageError(f"{name} is empty (0 bytes)")
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
    except UnidentifiedImageError:
        raise ImageError(f"{name} is not a picture in a format we read ({FORMAT_NAMES}){_looks_like(data)}") from None
    except Image.DecompressionBombError as exc:
        # Pillow refuses from the header alone; its message has the pixel count.
        found = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(found.group(1)) / 1e6:.0f} megapixels" if found else f"over {2 * MAX_PIXELS / 1e6:.0f} megapixels"
        raise ImageError(f"{name} is far too large ({size}); the most accepted is {MAX_PIXELS / 1e6:.0f} megapixels") from None
    except Exception as exc:  # a header so broken that the format's plugin gave up
        raise ImageError(f"{name} is damaged and cannot be read ({_reason(exc)})") from None

    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageError(
            f"{name} is {width}x{height} pixels ({width * height / 1e6:.0f} megapixels); "
            f"the most accepted is {MAX_PIXELS / 1e6:.0f} megapixels"
        )
    if width < 1 or height < 1:
        raise ImageError(f"{name} has no pixels ({width}x{height})")
    frames = getattr(image, "n_frames", 1)
    try:
        if image.format in ("JPEG", "MPO") and max(width, height) > WORK_SIDE:
            image.draft("RGB" if image.mode != "L" else "L", (WORK_SIDE, WORK_SIDE))
        # A huge picture costs hundreds of MB while it is decoded: one at a time per process.
        with _LARGE_DECODE if image.width * image.height > LARGE_DECODE_PIXELS else contextlib.nullcontext():
            image.load()
            if image.format in ("JPEG", "MPO", "TIFF"):
                ImageOps.exif_transpose(image, in_place=True)  # phones store photos sideways plus a flag
            # Only the pixels matter from here on: a new image, detached from the file; a huge
            # one averaged down at once, so that its full-size decode is freed here.
            image = shrunk(image, WORK_SIDE) if max(image.size) > WORK_SIDE else image.copy()
    except Exception as exc:  # truncated data, a bad chunk, a decoder error
        raise ImageError(f"{name} is damaged or incomplete and cannot be decoded ({_reason(exc)})") from None
    if image.mode not in _DIRECT_MODES:
        image = image.convert("RGB")
    image.info["frames"] = frames
    return image


def bounded(image: Image.Image | np.ndarray, side: int) -> Image.Image:
    """Any picture as one to read: a PIL image (an array becomes one), upright as the camera
    meant it (EXIF), averaged down to at most `side` pixels on its longest side (JPEGs decoded
    at a reduced scale). Raises ValueError for arrays of another shape or type, or no pixels."""
    if isinstance(image, np.ndarray):
        image = _array_to_image(image)
    if not isinstance(image, Image.Image):
        raise ValueError(f"expected a PIL image or a NumPy array, got {type(image).__name__}")
    if image.width < 1 or image.height < 1:
        raise ValueError(f"image has no pixels ({image.width}x{image.height})")
    if image.format in ("JPEG", "MPO", "TIFF"):
        image = ImageOps.exif_transpose(image)  # phones store photos sideways plus a flag
    if max(image.size) > side:
        image.draft("RGB", (side, side))
        image = shrunk(image, side)
    return image


def shrunk(image: Image.Image, side: int) -> Image.Image:
    """A new image that fits in side x side, every pixel of `image` averaged in (a box filter:
    a thin stroke fades but is never skipped). Palette, 1-bit and 16-bit pictures first become
    the grey (with alpha if transparent) or 32-bit grey they show: Pillow averages only those."""
    if image.mode in ("1", "P", "PA"):
        transparent = image.mode == "PA" or "transparency" in image.info
        image = image.convert("LA" if transparent else "L")
    elif image.mode.startswith("I;16"):
        image = image.convert("I")
    scale = side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    if image.mode not in ("LA", "RGBA"):
        return image.resize(size, Image.Resampling.BOX)
    # Pillow averages these through a premultiplied copy of the whole picture (196 MB more at
    # 49 megapixels): a band of rows at a time, that copy is only the band's.
    out = Image.new(image.mode, size)
    rows = image.height / size[1]  # picture rows per output row
    for top in range(0, size[1], BAND_ROWS):
        bottom = min(top + BAND_ROWS, size[1])
        first, last = top * rows, bottom * rows
        band = image.crop((0, math.floor(first), image.width, math.ceil(last)))
        box = (0, first - math.floor(first), image.width, last - math.floor(first))
        out.paste(band.resize((size[0], bottom - top), Image.Resampling.BOX, box=box), (0, top))
    return out


def eight_bit_grey(image: Image.Image) -> Image.Image:
    """A 16- or 32-bit grey image ('I', 'I;16', 'F') as 8-bit 'L', its value range stretched
    onto 0..255. Values that all fit in 0..255 are 8-bit data in a wider container and are
    kept as they are (a 16-bit reading would be all black)."""
    values = np.asarray(image.convert("F") if image.mode != "F" else image, dtype=np.float32)
    top = 65535.0 if values.max() > 255 else 255.0
    return Image.fromarray(np.clip(values * (255.0 / top), 0, 255).astype(np.uint8), "L")


def _array_to_image(array: np.ndarray) -> Image.Image:
    if array.dtype == np.bool_:
        array = array.astype(np.uint8) * 255
    if array.dtype != np.uint8:
        raise ValueError(f"expected a uint8 array, got dtype {array.dtype}")
    if array.ndim == 2:
        return Image.fromarray(array, "L")
    if array.ndim == 3 and array.shape[2] in (3, 4):
        return Image.fromarray(np.ascontiguousarray(array), "RGB" if array.shape[2] == 3 else "RGBA")
    raise ValueError(f"expected an array shaped HxW, HxWx3 or HxWx4, got {array.shape}")


def frames_note(image: Image.Image) -> str | None:
    """A sentence for pictures with several frames (animated GIF, multi-page TIFF), else None."""
    frames = image.info.get("frames", 1)
    return f"it has {frames} frames; the first one was used" if frames > 1 else None


def _read(source, name: str | None) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if len(data) > MAX_FILE_BYTES:
            raise ImageError(f"{name or 'the file'} is {_size(len(data))}; the most accepted is {_size(MAX_FILE_BYTES)}")
        return data, name or "the file"
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        name = name or str(source)
        try:
            size = path.stat().st_size
            if path.is_dir():
                raise ImageError(f"{name} is a folder, not a picture")
            if size > MAX_FILE_BYTES:
                raise ImageError(f"{name} is {_size(size)}; the most accepted is {_size(MAX_FILE_BYTES)}")
            # Read at most one byte past the limit: a device or pipe (/dev/zero) reports size 0.
            with open(path, "rb") as f:
                data = f.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                raise ImageError(f"{name} is larger than {_size(MAX_FILE_BYTES)}, the most accepted")
            return data, name
        except FileNotFoundError:
            raise ImageError(f"{name} does not exist") from None
        except PermissionError:
            raise ImageError(f"{name} cannot be read (permission denied)") from None
        except OSError as exc:
            raise ImageError(f"{name} cannot be read ({exc.strerror or exc})") from None
    if hasattr(source, "read"):
        data = source.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise ImageError(f"{name or 'the file'} is larger than {_size(MAX_FILE_BYTES)}, the most accepted")
        return data, name or getattr(source, "name", None) or "the file"
    raise TypeError(f"expected bytes, a path or a binary file, got {type(source).__name__}")


def _looks_like(data: bytes) -> str:
    """A hint at what the file really is, for the commonest mistakes."""
    head = data[:512].lstrip()
    if head[:1] in (b"<",) and (b"<svg" in head.lower() or b"<html" in head.lower() or b"<?xml" in head.lower()):
        return "; it looks like SVG/HTML/XML text"
    if head.startswith(b"%PDF"):
        return "; it looks like a PDF"
    try:
        head.decode("utf-8")
        return "; it looks like text"
    except UnicodeDecodeError:
        return ""


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"
