"""How the Draw tab fits the width it has, and the drawing carried over to a remade canvas.

Plain functions, no Streamlit: the page measures its width in the browser (app/viewport.py)
and asks here how big the canvas is and whether it sits beside the result or above it; when the
pen colours or the canvas's size change, the strokes are recoloured or rescaled here, so the
drawing survives (the model reads it the same way: preprocessing normalises its size).

    >>> for_width(1000)                       # Shape(side=280, stacked=False)
    >>> for_width(358)                        # Shape(side=352, stacked=True): a phone
    >>> recoloured(canvas.json_data, "#ffffff")
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

CANVAS_SIDE = 280  # pixels: the canvas beside the result, as on a laptop
RESULT_MIN = 300  # the narrowest the result card reads well at
GAP = 32  # between canvas and result (Streamlit's "medium" gap, 2rem)
STACKED_MAX = 440  # a stacked canvas on a tablet stops growing here
STACKED_MIN = 160  # and never gets smaller than this, however narrow the screen
STEP = 8  # stacked sides are multiples of this, so a scrollbar coming and going does not remake it
# A stacked tab goes side by side again only this much past the limit: the page's scrollbar
# (up to 17 px) appears or goes with the change, and must not flip it back.
HYSTERESIS = 24


@dataclass(frozen=True)
class Shape:
    """The canvas's side in pixels, and whether the result goes under it (no room beside it)."""

    side: int
    stacked: bool


def for_width(width: int | float | None, stacked: bool = False) -> Shape:
    """The Draw tab's shape for a content `width` in CSS pixels (None: not measured yet, taken
    as room for both side by side); `stacked`: whether it is stacked now."""
    if width is None or width >= CANVAS_SIDE + GAP + RESULT_MIN + (HYSTERESIS if stacked else 0):
        return Shape(CANVAS_SIDE, stacked=False)
    side = int(min(width, STACKED_MAX)) // STEP * STEP
    return Shape(max(side, STACKED_MIN), stacked=True)


def pen_width(pen: int, side: int) -> int:
    """The stroke width on a canvas of `side` for the pen width chosen (set for the 280 px
    canvas): the same pen relative to the box, whatever its size."""
    return max(1, round(pen * side / CANVAS_SIDE))


def recoloured(drawing: dict | None, pen: str) -> dict | None:
    """A copy of a canvas drawing (fabric.js JSON) with every stroke in the colour `pen`."""
    if drawing is None:
        return None
    drawing = copy.deepcopy(drawing)
    for stroke in drawing.get("objects") or []:
        stroke["stroke"] = pen
    return drawing


def rescaled(drawing: dict | None, factor: float) -> dict | None:
    """A copy of a canvas drawing for a canvas `factor` times as wide and high: every stroke's
    position and scale multiplied by it (a fabric.js object is drawn at left/top, scaled)."""
    if drawing is None:
        return None
    drawing = copy.deepcopy(drawing)
    for stroke in drawing.get("objects") or []:
        for name in ("left", "top", "scaleX", "scaleY"):
            stroke[name] = float(stroke.get(name, 1.0 if name.startswith("scale") else 0.0)) * factor
    return drawing


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
