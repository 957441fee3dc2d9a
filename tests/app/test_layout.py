"""How the Draw tab fits its width, and the drawing carried over to a remade canvas (app/layout.py)."""

import numpy as np
import pytest

from app.layout import CANVAS_SIDE, STACKED_MIN, Shape, for_width, pen_width, recoloured, repainted, rescaled


@pytest.mark.parametrize(
    "width, shape",
    [
        (None, Shape(CANVAS_SIDE, stacked=False)),  # not measured yet
        (1040, Shape(CANVAS_SIDE, stacked=False)),  # a desktop
        (660, Shape(CANVAS_SIDE, stacked=False)),  # a 1024 px laptop with the sidebar open
        (611, Shape(440, stacked=True)),  # too narrow for both: a tablet's canvas stops at 440
        (358, Shape(352, stacked=True)),  # a 390 px phone: the screen's width, in steps of 8
        (288, Shape(288, stacked=True)),  # a 320 px phone
        (100, Shape(STACKED_MIN, stacked=True)),
    ],
)
def test_for_width(width, shape):
    assert for_width(width) == shape


@pytest.mark.parametrize("width, stacked", [(611, True), (612, False), (630, False), (640, False)])
def test_side_by_side_needs_more_room_to_come_back(width, stacked):
    """Stacking the tab can bring the page's scrollbar (17 px narrower) or take it away: a width
    at the limit must not flip between the two shapes."""
    assert for_width(width).stacked is stacked
    assert for_width(width, stacked=True).stacked is (width < 636)


def test_stacked_canvas_fits_every_phone():
    for width in range(STACKED_MIN, 612):
        shape = for_width(width)
        assert shape.stacked and min(width, 440) - 8 < shape.side <= width


@pytest.mark.parametrize("pen, side, width", [(20, 280, 20), (20, 352, 25), (8, 160, 5), (1, 100, 1)])
def test_pen_width_follows_the_canvas(pen, side, width):
    assert pen_width(pen, side) == width


def drawing() -> dict:
    return {
        "version": "6.0.0",
        "objects": [
            {"type": "path", "left": 10.0, "top": 20.0, "scaleX": 1, "scaleY": 1, "stroke": "#111111", "path": [["M", 1, 2]]},
            {"type": "path", "left": 100.0, "top": 50.0, "stroke": "#111111", "path": [["M", 3, 4]]},
        ],
    }


def test_recoloured_changes_every_stroke_and_nothing_else():
    original = drawing()
    light = recoloured(original, "#ffffff")
    assert [o["stroke"] for o in light["objects"]] == ["#ffffff", "#ffffff"]
    assert [o["path"] for o in light["objects"]] == [o["path"] for o in original["objects"]]
    assert original == drawing(), "the drawing given was changed"
    assert recoloured(None, "#ffffff") is None


def test_rescaled_moves_and_scales_every_stroke():
    bigger = rescaled(drawing(), 1.5)
    assert [(o["left"], o["top"], o["scaleX"], o["scaleY"]) for o in bigger["objects"]] == [
        (15.0, 30.0, 1.5, 1.5),
        (150.0, 75.0, 1.5, 1.5),
    ]
    assert rescaled(None, 2) is None


def test_repainted_swaps_pen_and_paper_keeping_edges():
    picture = np.zeros((1, 3, 4), np.uint8)
    picture[0, :, :3] = [[255, 255, 255], [17, 17, 17], [136, 136, 136]]  # paper, pen, an edge half way
    picture[..., 3] = 255
    out = repainted(picture, ("#111111", "#ffffff"), ("#ffffff", "#000000"))
    assert out[0, :, 0].tolist() == [0, 255, 128] and (out[..., 3] == 255).all()
    back = repainted(out, ("#ffffff", "#000000"), ("#111111", "#ffffff"))
    assert np.abs(back.astype(int) - picture).max() <= 1
