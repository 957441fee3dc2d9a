"""Digits, letters and signs from fonts, drawn the ways the canvas and uploads show them.

Every glyph is rendered large, then either traced along its centre line with a round pen of
the canvas's widths (`train/strokes.py`, as a finger or mouse draws it) or kept filled (an
upload of print), then rotated, sheared, scaled and wobbled like the MNIST copies
(`train/augment.py`), and put through `app.preprocess.to_model_input`. The letterforms fonts
rarely have (`train/letterforms.py`) are drawn the same way. Letters and signs that no one
would read as a digit become "not a digit" examples.

    >>> x, y, form = font_digits(files, views=40, seed=1)   # uint8 (N, 28, 28), labels, form names
    >>> junk = font_not_digits(files, views=4, seed=1)      # uint8 (M, 28, 28)
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageFont

from app.preprocess import to_model_input
from train import letterforms
from train.augment import affine, elastic, run_jobs, to_uint8
from train.strokes import INK_LEVEL, skeleton, trace

DIGITS = "0123456789"
# Letters and signs a person would not read as a digit. Left out as lookalikes: O o Q D (0),
# I l i j J T | ! / \ ( ) [ ] , ' ` (1), Z z (2), S s $ § (5), b G (6), B (8), g q (9), ° . (0, a dot).
NOT_DIGITS = "ACEFHKLMNPRUVWXYacdefhkmnprtuvwxy+-=?*#%&@<>^~:×÷€"
GLYPH_SIDE = 112  # glyphs are drawn in a field this size, like the MNIST copies' pen (4x)
RENDER_SIZE = 160  # font size (px) at which a glyph is rasterised before it is fitted
PEN_SHARE = 0.7  # of the font examples traced with a round pen; the rest stay filled (print)
PEN_RATIO = (0.035, 0.3)  # pen width over the glyph's height, log-uniform: 8-40 px on 120-240 px digits
FORM_SHARE = 0.12  # procedural letterforms, as a share of the font digits
CHUNK = 500  # glyph views per worker job; fixed, so results do not depend on the workers


def glyph(font: ImageFont.FreeTypeFont, char: str, side: int = GLYPH_SIDE) -> Image.Image | None:
    """`char` in `font`, white on black, its longest side scaled to 70 % of a side x side field
    and centred; None if the font has no such glyph (it would draw its 'missing' box)."""
    mask = _mask(font, char)
    if mask is None or mask == _mask(font, "\ue000") or mask == _mask(font, "\U0010fffd"):
        return None
    ink = Image.frombytes("L", mask[0], mask[1])
    box = ink.getbbox()
    if box is None:
        return None
    ink = ink.crop(box)
    scale = 0.7 * side / max(ink.size)
    ink = ink.resize((max(1, round(ink.width * scale)), max(1, round(ink.height * scale))), Image.Resampling.LANCZOS)
    field = Image.new("L", (side, side))
    field.paste(ink, ((side - ink.width) // 2, (side - ink.height) // 2))
    return field


def _mask(font, char):
    try:
        m = font.getmask(char, mode="L")
    except (OSError, ValueError):
        return None
    return (m.size, bytes(m)) if m.size[0] and m.size[1] else None


def load_font(path: Path | str) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), RENDER_SIZE)


def glyphs(paths: list, chars: str) -> tuple[list[Image.Image], list[str], list[int]]:
    """Every char of every font file that has it: (images, chars, index of the font file)."""
    images, which, source = [], [], []
    for i, path in enumerate(paths):
        font = load_font(path)
        for char in chars:
            g = glyph(font, char)
            if g is not None:
                images.append(g)
                which.append(char)
                source.append(i)
    return images, which, source


def drawn(image: Image.Image, rng: np.random.Generator, pen: bool | None = None, core: np.ndarray | None = None) -> np.ndarray:
    """One view of a glyph ('L', GLYPH_SIDE square): pen-traced or filled, warped, wobbled,
    normalised to uint8 (28, 28). `core`, the glyph's skeleton if already known, saves
    thinning it again for every view."""
    if pen if pen is not None else rng.random() < PEN_SHARE:
        box = image.getbbox() or (0, 0, image.width, image.height)
        height = max(box[2] - box[0], box[3] - box[1])
        ratio = math.exp(rng.uniform(math.log(PEN_RATIO[0]), math.log(PEN_RATIO[1])))
        core = skeleton(np.asarray(image) > INK_LEVEL) if core is None else core
        image = trace(core, image.size, width=ratio * height, blur=rng.uniform(0.5, 1.2))
    warped = elastic(affine(image, rng), rng, scale=image.width / 28)
    return to_uint8(to_model_input(warped))


def form_strokes(n: int, seed: int) -> tuple[list, list[int], list[str]]:
    """n procedural letterforms, the kinds in turn: (strokes, labels, form names)."""
    rng = np.random.default_rng([seed, 3000])
    names = [list(letterforms.FORMS)[i % len(letterforms.FORMS)] for i in range(n)]
    return [letterforms.FORMS[name](rng) for name in names], [letterforms.LABELS[name] for name in names], names


def font_digits(paths: list, views: int, seed: int, workers: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`views` drawings of every digit of every font file, plus FORM_SHARE as many procedural
    letterforms: uint8 (N, 28, 28), labels (N,), and each one's form name ("font" for glyphs)."""
    _, chars, source = glyphs(paths, DIGITS)
    strokes, labels, names = form_strokes(int(round(FORM_SHARE * len(chars))), seed)
    jobs = [("glyph", (str(paths[f]), c)) for f, c in zip(source, chars)] + [("form", s) for s in strokes]
    tasks = [job for job in jobs for _ in range(views)]
    x = _views(tasks, seed, workers)
    y = np.repeat(np.array([int(c) for c in chars] + labels, np.uint8), views)
    form = np.repeat(np.array(["font"] * len(chars) + names), views)
    return x, y, form


def font_not_digits(paths: list, views: int, seed: int, workers: int | None = None) -> np.ndarray:
    """`views` drawings of every non-lookalike letter and sign of every font file: uint8 (M, 28, 28)."""
    _, chars, source = glyphs(paths, NOT_DIGITS)
    tasks = [("glyph", (str(paths[f]), c)) for f, c in zip(source, chars) for _ in range(views)]
    return _views(tasks, seed + 7919, workers)


def _views(tasks, seed, workers) -> np.ndarray:
    chunks = [tasks[i : i + CHUNK] for i in range(0, len(tasks), CHUNK)]
    parts = run_jobs(_view_chunk, [(chunk, seed, k) for k, chunk in enumerate(chunks)], workers)
    return np.concatenate(parts) if parts else np.zeros((0, 28, 28), np.uint8)


def _view_chunk(tasks, seed, k) -> np.ndarray:
    rng = np.random.default_rng([seed, 2000, k])
    fonts, rendered, out = {}, {}, []
    for kind, what in tasks:
        if kind == "glyph":
            if what not in rendered:
                path, char = what
                fonts.setdefault(path, load_font(path))
                image = glyph(fonts[path], char)
                rendered[what] = (image, skeleton(np.asarray(image) > INK_LEVEL))
            out.append(drawn(*rendered[what][:1], rng, core=rendered[what][1]))
        else:  # a letterform's strokes, traced with a pen of a canvas width
            ratio = math.exp(rng.uniform(math.log(PEN_RATIO[0]), math.log(PEN_RATIO[1])))
            image = letterforms.draw(what, width=ratio * 0.7 * GLYPH_SIDE, side=GLYPH_SIDE)
            out.append(drawn(image, rng, pen=False))
    return np.stack(out)


def contact_sheet(x: np.ndarray, columns: int = 40) -> Image.Image:
    """Model inputs tiled in a grid, for looking at what training sees."""
    rows = -(-len(x) // columns)
    sheet = Image.new("L", (columns * 28, rows * 28))
    for i, im in enumerate(x):
        sheet.paste(Image.fromarray(im), ((i % columns) * 28, (i // columns) * 28))
    return sheet


__all__ = ["DIGITS", "NOT_DIGITS", "glyph", "glyphs", "drawn", "font_digits", "font_not_digits", "contact_sheet"]
