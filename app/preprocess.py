"""Turn any picture of one digit into the 28x28 input the model was trained on.

`to_model_input(image)` is the one normalisation shared by the app, the CLI and training
(`train/augment.py` calls it on every augmented example), so train and serve see the same kind
of input. It does what MNIST's authors did to the NIST scans: find the ink, fit its bounding box
into 20x20 keeping the aspect ratio, and centre it by centre of mass in a 28x28 field.

    >>> x = to_model_input(Image.open("seven.png"))   # float32 (28, 28), 0..1, white on black
    >>> x is None                                       # True when there is no ink at all

Pillow and NumPy only (no OpenCV).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops, ImageFilter

from app.contract import DIGIT_BOX, IMAGE_SIZE
from app.images import bounded, eight_bit_grey, shrunk

WORK_SIZE = 640  # larger pictures are read reduced to this longest side (the widest canvas is not larger)
STROKE_BOX = 80  # intermediate size at which thin strokes are thickened
TARGET_STROKE = 2.0  # typical MNIST stroke width in pixels of the 28x28 field
MIN_CONTRAST = 0.12  # ink must differ from the background by this fraction of the range
MIN_INK_PIXELS = 4  # fewer ink pixels than this is an empty picture, not a digit
MIN_MARK = 0.04  # a photo's ink must hold one connected mark this long (share of its longest side)
MARK_GRID = 128  # connected marks are looked for at most this many cells across
KEEP_MARK = 0.2  # marks shorter than this share of the longest (dust, specks) are not ink

# Lookup tables for Image.point: above-threshold pixels to 255, the rest to 0.
_THRESHOLDS = [[255 if v > t else 0 for v in range(256)] for t in range(256)]



def to_model_input(image: Image.Image | np.ndarray) -> np.ndarray | None:
    """Return the MNIST-style (28, 28) float32 array for `image`, or None if it has no ink.

    `image` is a PIL image of any mode and size, or a uint8 array shaped HxW, HxWx3 or HxWx4.
    Raises ValueError for arrays of another shape or type.
    """
    ink = find_ink(image)
    return None if ink is None else centre_digit(ink.pixels)


@dataclass(frozen=True)
class Ink:
    """The ink of a picture, cropped to its bounding box: `pixels` float32 0..1 (1 = ink), and
    where that crop lies in the picture, as its top-left corner (`left`, `top`) and picture
    pixels per ink pixel (`scale`; above 1 when a large picture was reduced)."""

    pixels: np.ndarray
    left: float
    top: float
    scale: float = 1.0

    def box(self, x0: int, y0: int, x1: int, y1: int) -> tuple[int, int, int, int]:
        """A box [x0, y0, x1, y1) of `pixels` in the picture's pixel coordinates."""
        return (
            int(math.floor(self.left + x0 * self.scale)),
            int(math.floor(self.top + y0 * self.scale)),
            int(math.ceil(self.left + x1 * self.scale)),
            int(math.ceil(self.top + y1 * self.scale)),
        )


def find_ink(image: Image.Image | np.ndarray) -> Ink | None:
    """The ink `to_model_input` reads in `image`, with where it lies; None if there is none.
    Raises ValueError as `to_model_input` does."""
    gray, background, (left, top), scale = _grayscale(image)
    if background is None:
        histogram = gray.histogram()
        peak = int(np.argmax(histogram))
        if histogram[peak] >= 0.5 * gray.width * gray.height:
            background = peak  # a drawn canvas: one exact background value covers most of it
    if background is not None:
        found = _canvas_ink(gray, background)
    else:
        found = _photo_ink(np.asarray(gray, dtype=np.float32) / 255.0)
    if found is None:
        return None
    pixels, (x, y) = found
    if np.count_nonzero(pixels > 0.5) < MIN_INK_PIXELS:
        return None
    return Ink(pixels, (left + x) * scale, (top + y) * scale, scale)


def _grayscale(image: Image.Image | np.ndarray) -> tuple[Image.Image, int | None, tuple[float, float], float]:
    """8-bit luminance, and the background value when it is known (transparent pictures: the
    drawing is cropped to its opaque part and laid on a backdrop that contrasts with it); then
    the top-left corner of that luminance in the reduced picture, and picture pixels per
    reduced pixel. Pictures up to twice WORK_SIZE are made grey (and cropped) first and reduced
    after, a fraction of the work; larger ones are reduced first."""
    shape = image.shape[:2] if isinstance(image, np.ndarray) else getattr(image, "size", (1, 1))
    longest = max(shape) if len(shape) == 2 else 1  # bounded() refuses anything else
    image = bounded(image, WORK_SIZE if longest > 2 * WORK_SIZE else max(longest, 1))
    gray, background, corner = _grey(image)
    scale = max(longest, 1) / max(image.size)
    if max(image.size) > WORK_SIZE:  # averaged down to WORK_SIZE on the picture's longest side
        f = WORK_SIZE / max(image.size)
        gray = shrunk(gray, max(gray.size) * f)
        corner, scale = (corner[0] * f, corner[1] * f), scale / f
    return gray, background, corner, scale


def _grey(image: Image.Image) -> tuple[Image.Image, int | None, tuple[int, int]]:
    """The luminance of `image` as `_grayscale` gives it, at the picture's size."""
    mode = image.mode
    if mode.startswith("I") or mode == "F":
        return eight_bit_grey(image), None, (0, 0)
    if mode in ("LA", "La", "PA", "RGBa") or (mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
    if image.mode != "RGBA":
        return image.convert("L"), None, (0, 0)
    alpha = image.getchannel("A")
    if alpha.getextrema()[0] >= 250:
        return image.convert("L"), None, (0, 0)
    box = alpha.getbbox()
    if box is None:  # fully transparent
        return Image.new("L", (1, 1)), 0, (0, 0)
    # What is drawn (opaque) is dark or light; lay it on the opposite backdrop.
    image, alpha = image.crop(box), alpha.crop(box)
    gray = image.convert("L")
    opaque = np.asarray(alpha) > 127
    mean_drawn = np.asarray(gray)[opaque].mean() if opaque.any() else 0.0
    backdrop = 255 if mean_drawn < 128 else 0
    return Image.composite(gray, Image.new("L", gray.size, backdrop), alpha), backdrop, box[:2]


def _canvas_ink(gray: Image.Image, background: int) -> tuple[np.ndarray, tuple[int, int]] | None:
    """Ink of a drawn canvas (one exact background value covers most of it), cropped to its
    box, and the box's top-left corner. Only the box is converted to floats: it is fast."""
    diff = ImageChops.difference(gray, Image.new("L", gray.size, background))
    top = diff.getextrema()[1]
    span = background if background > 127 else 255 - background
    if top < MIN_CONTRAST * max(span, 1):
        return None
    floor = int(0.1 * top)
    box = diff.point(_THRESHOLDS[floor]).getbbox()
    if box is None:
        return None
    crop = np.asarray(diff.crop(box), dtype=np.float32)
    return np.clip((crop - floor) / (top - floor), 0.0, 1.0), box[:2]


def _photo_ink(gray: np.ndarray) -> tuple[np.ndarray, tuple[int, int]] | None:
    """Ink of a photo or scan: measured against a smooth estimate of the local paper
    brightness (so uneven light is not ink), contrast-normalised, speckles removed. Without one
    connected mark of some length (blank paper: grain, noise, dust) there is no ink. Cropped to
    its box, with the box's top-left corner."""
    dark_ink = float(np.median(gray)) > 0.5
    paper = gray if dark_ink else 1.0 - gray
    h, w = paper.shape
    small = Image.fromarray(np.rint(paper * 255).astype(np.uint8), "L")
    small = small.resize((max(1, w // 16), max(1, h // 16)), Image.Resampling.BOX)
    small = small.filter(ImageFilter.MaxFilter(3)).filter(ImageFilter.BoxBlur(1))
    local = np.asarray(small.resize((w, h), Image.Resampling.BILINEAR), dtype=np.float32) / 255.0
    local = np.maximum(local, paper)
    ink = np.clip((local - paper) / np.maximum(local, 0.05), 0.0, 1.0)
    top = float(np.percentile(ink, 99.9))
    if top < MIN_CONTRAST:
        return None
    # The faint floor (paper grain, JPEG noise) goes to 0, the strokes to 1.
    floor = max(0.35 * top, float(np.median(ink)) + 0.08)
    ink = np.clip((ink - floor) / max(top - floor, 1e-3), 0.0, 1.0)
    speckless = Image.fromarray(np.rint(ink * 255).astype(np.uint8), "L").filter(ImageFilter.MedianFilter(3))
    ink = np.asarray(speckless, dtype=np.float32) / 255.0
    marks = _marks(ink > 0.3)
    if marks is None:
        return None
    ink = ink * marks
    rows = np.flatnonzero(ink.max(axis=1) > 0.1)
    cols = np.flatnonzero(ink.max(axis=0) > 0.1)
    if rows.size == 0:
        return None
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], (int(cols[0]), int(rows[0]))


def block_any(mask: np.ndarray, f: int) -> np.ndarray:
    """A boolean mask shrunk f times: a cell is set when any pixel of its f x f block is (the
    picture padded with blanks to whole blocks)."""
    if f == 1:
        return mask
    views = _blocks(mask, f)
    out = next(views).copy()
    for view in views:
        out |= view
    return out


def block_mean(mask: np.ndarray, f: int) -> np.ndarray:
    """A boolean mask shrunk f times: each cell the share of its f x f block that is set
    (float32; the picture padded with blanks to whole blocks)."""
    views = _blocks(mask, f)
    total = next(views).astype(np.int32)
    for view in views:
        total += view
    return (total / (f * f)).astype(np.float32)


def _blocks(mask: np.ndarray, f: int):
    """The f * f strided views of `mask` padded to whole f x f blocks, one per place in a block:
    far faster to combine than a reduction over a 4-D reshape."""
    h, w = mask.shape
    padded = np.pad(mask, ((0, -h % f), (0, -w % f)))
    return (padded[dy::f, dx::f] for dy in range(f) for dx in range(f))


def _marks(mask: np.ndarray) -> np.ndarray | None:
    """Where the marks of a photo are: the cells around the 8-connected groups of `mask` whose
    bounding box is at least KEEP_MARK of the longest's (dust and specks left out); None when even the longest is under
    MIN_MARK of the picture (looked for on a grid of at most MARK_GRID cells across: a cell is
    marked when any pixel in it is)."""
    h, w = mask.shape
    cell = max(1, -(-max(h, w) // MARK_GRID))
    mask = block_any(mask, cell)
    if not mask.any():
        return None
    # Each marked cell takes the smallest index in its group: spread to neighbours, then jump
    # along the indices found, until nothing changes.
    gh, gw = mask.shape
    none = gh * gw
    labels = np.where(mask, np.arange(none).reshape(gh, gw), none)
    while True:
        edged = np.pad(labels, 1, constant_values=none)
        spread = np.minimum.reduce([edged[dy : dy + gh, dx : dx + gw] for dy in range(3) for dx in range(3)])
        spread = np.where(mask, spread, none)
        while True:  # follow each index to the smallest it leads to
            jumped = np.append(spread.ravel(), none)[spread]
            if np.array_equal(jumped, spread):
                break
            spread = jumped
        if np.array_equal(spread, labels):
            break
        labels = spread
    ys, xs = np.nonzero(mask)
    _, group = np.unique(labels[ys, xs], return_inverse=True)
    extent = []
    for coordinate in (ys, xs):
        low, high = np.full(group.max() + 1, none), np.zeros(group.max() + 1, np.int64)
        np.minimum.at(low, group, coordinate)
        np.maximum.at(high, group, coordinate)
        extent.append(high - low + 1)
    extent = np.maximum(*extent)
    longest = int(extent.max())
    if longest * cell < MIN_MARK * max(h, w):
        return None
    kept = np.zeros((gh + 2, gw + 2), bool)
    kept[ys + 1, xs + 1] = extent[group] >= KEEP_MARK * longest
    # One cell around each kept mark too: its faint edges belong to it.
    kept = np.logical_or.reduce([kept[dy : dy + gh, dx : dx + gw] for dy in range(3) for dx in range(3)])
    return np.repeat(np.repeat(kept, cell, axis=0), cell, axis=1)[:h, :w]


def centre_digit(ink: np.ndarray) -> np.ndarray | None:
    """The model input for one digit's ink (float 0..1, cropped to its bounding box): fit into
    DIGIT_BOX, hair-thin strokes thickened, centred by mass; None if the ink is all zero."""
    crop = ink
    h, w = crop.shape

    # Thin strokes would fade to nothing in 28x28: thicken them at an intermediate size.
    scale_mid = min(1.0, STROKE_BOX / max(h, w))
    mid = Image.fromarray(np.ascontiguousarray(crop), "F")
    if scale_mid < 1.0:
        mid = mid.resize((max(1, round(w * scale_mid)), max(1, round(h * scale_mid))), Image.Resampling.BOX)
    arr = np.asarray(mid)
    solid = arr > 0.5
    area = int(solid.sum())
    edges = area - int((solid[1:-1, 1:-1] & solid[:-2, 1:-1] & solid[2:, 1:-1] & solid[1:-1, :-2] & solid[1:-1, 2:]).sum())
    stroke = 2.0 * area / max(edges, 1)  # width of a stroke of length L: area L*w, edge 2L
    scale_final = DIGIT_BOX / max(mid.size)
    wanted = TARGET_STROKE / scale_final
    if stroke * 1.6 < wanted:
        size = min(9, max(3, 2 * round((wanted - stroke) / 2) + 1))
        mid = mid.filter(ImageFilter.MaxFilter(size))

    mw, mh = mid.size
    out_w = max(1, round(mw * scale_final))
    out_h = max(1, round(mh * scale_final))
    digit = np.asarray(mid.resize((out_w, out_h), Image.Resampling.LANCZOS), dtype=np.float32)
    digit = np.clip(digit, 0.0, None)
    peak = float(digit.max())
    if peak <= 0:
        return None
    digit = np.clip(digit / peak, 0.0, 1.0)

    # Centre of mass to pixel (14, 14), where MNIST's digits have theirs.
    mass = digit.sum()
    cy = float((digit.sum(axis=1) * np.arange(out_h)).sum() / mass)
    cx = float((digit.sum(axis=0) * np.arange(out_w)).sum() / mass)
    top = int(round(IMAGE_SIZE / 2 - cy))
    left = int(round(IMAGE_SIZE / 2 - cx))
    top = min(max(top, 0), IMAGE_SIZE - out_h)
    left = min(max(left, 0), IMAGE_SIZE - out_w)
    field = np.zeros((IMAGE_SIZE, IMAGE_SIZE), dtype=np.float32)
    field[top : top + out_h, left : left + out_w] = digit
    return field
