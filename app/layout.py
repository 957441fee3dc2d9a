"""How the Draw tab fits the width it has, and the drawing carried over to a remade canvas.

Plain functions, no Streamlit: the page measures its width in the browser (app/viewport.py)
and asks here how big the canvas is and whether it sits beside the result or above it; when the
pen colours or the canvas's size change, the strokes are recoloured or refitted here, so the
drawing survives (the model reads it the same way: preprocessing normalises its size).

The canvas is as high as it always was (280 px beside the result, so a single digit is drawn at
the same scale) and as wide as the room allows, up to CANVAS_MAX_WIDTH: room for a number.

    >>> for_width(1000)                       # Shape(width=560, height=280, stacked=False)
    >>> for_width(358)                        # Shape(width=352, height=280, stacked=True): a phone
    >>> recoloured(canvas.json_data, "#ffffff")
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

CANVAS_HEIGHT = 280  # pixels: the canvas's height, as on a laptop; the pen is set for it
CANVAS_SIDE = CANVAS_HEIGHT  # the narrowest canvas beside the result: a square, as before numbers
CANVAS_MAX_WIDTH = 560  # room for four or five digits at the canvas's height
RESULT_MIN = 300  # the narrowest the result card reads well at
GAP = 32  # between canvas and result (Streamlit's "medium" gap, 2rem)
STACKED_MIN = 160  # a stacked canvas never gets narrower than this, however narrow the screen
STEP = 8  # widths are multiples of this, so a scrollbar coming and going does not remake it
# A stacked tab goes side by side again only this much past the limit: the page's scrollbar
# (up to 17 px) appears or goes with the change, and must not flip it back.
HYSTERESIS = 24


@dataclass(frozen=True)
class Shape:
    """The canvas's width and height in pixels, and whether the result goes under it (no room
    beside it)."""

    width: int
    height: int
    stacked: bool


def for_width(width: int | float | None, stacked: bool = False) -> Shape:
    """The Draw tab's shape for a content `width` in CSS pixels (None: not measured yet, taken
    as a laptop's room); `stacked`: whether it is stacked now. Beside the result the canvas takes
    what the result leaves (CANVAS_SIDE to CANVAS_MAX_WIDTH wide, CANVAS_HEIGHT high); stacked it
    takes the whole width (up to CANVAS_MAX_WIDTH), and is no higher than it is wide."""
    if width is None:
        return Shape(CANVAS_MAX_WIDTH, CANVAS_HEIGHT, stacked=False)
    if width >= CANVAS_SIDE + GAP + RESULT_MIN + (HYSTERESIS if stacked else 0):
        room = int(min(width - GAP - RESULT_MIN, CANVAS_MAX_WIDTH)) // STEP * STEP
        return Shape(max(room, CANVAS_SIDE), CANVAS_HEIGHT, stacked=False)
    side = max(int(min(width, CANVAS_MAX_WIDTH)) // STEP * STEP, STACKED_MIN)
    return Shape(side, min(side, CANVAS_HEIGHT), stacked=True)


def pen_width(pen: int, height: int) -> int:
    """The stroke width on a canvas `height` high for the pen width chosen (set for the 280 px
    high canvas): the same pen relative to the height, whatever the canvas's size."""
    return max(1, round(pen * height / CANVAS_HEIGHT))


def recoloured(drawing: dict | None, pen: str) -> dict | None:
    """A copy of a canvas drawing (fabric.js JSON) with every stroke in the colour `pen`."""
    if drawing is None:
        return None
    drawing = copy.deepcopy(drawing)
    for stroke in drawing.get("objects") or []:
        stroke["stroke"] = pen
    return drawing


def rescaled(drawing: dict | None, factor: float, offset: tuple[float, float] = (0.0, 0.0)) -> dict | None:
    """A copy of a canvas drawing with every stroke's position and scale multiplied by `factor`
    and its position moved by `offset` (x, y) (a fabric.js object is drawn at left/top, scaled)."""
    if drawing is None:
        return None
    drawing = copy.deepcopy(drawing)
    for stroke in drawing.get("objects") or []:
        for name in ("left", "top", "scaleX", "scaleY"):
            stroke[name] = float(stroke.get(name, 1.0 if name.startswith("scale") else 0.0)) * factor
        stroke["left"] += offset[0]
        stroke["top"] += offset[1]
    return drawing


def refitted(drawing: dict | None, old: tuple[int, int], new: tuple[int, int]) -> dict | None:
    """A copy of a drawing made on a canvas `old` = (width, height) for one of size `new`: scaled
    as much as both sides allow (never stretched) and centred, so the whole old canvas fits in
    the new one and what was in its middle stays in the middle."""
    factor = min(new[0] / old[0], new[1] / old[1])
    offset = ((new[0] - old[0] * factor) / 2, (new[1] - old[1] * factor) / 2)
    return rescaled(drawing, factor, offset)


def repainted(picture: np.ndarray, old: tuple[str, str], new: tuple[str, str]) -> np.ndarray:
    """The canvas picture (RGBA uint8) with pen and paper colours `old` = (pen, paper) changed to
    `new`: each pixel keeps how far it is from the paper towards the pen (anti-aliased edges
    stay anti-aliased)."""
    old_pen, old_paper = (_rgb(c) for c in old)
    new_pen, new_paper = (_rgb(c) for c in new)
    span = old_pen - old_paper
    rgb = picture[..., :3].astype(np.float32)
    if not span.any():
        return picture.copy()
    share = np.clip(((rgb - old_paper) @ span) / float(span @ span), 0.0, 1.0)[..., None]
    out = picture.copy()
    out[..., :3] = np.rint(new_paper + share * (new_pen - new_paper)).astype(np.uint8)
    return out


def _rgb(colour: str) -> np.ndarray:
    """"#rrggbb" as float32 RGB."""
    text = colour.lstrip("#")
    assert len(text) == 6, f"expected a colour like #1a2b3c, got {colour!r}"
    return np.array([int(text[i : i + 2], 16) for i in (0, 2, 4)], dtype=np.float32)
