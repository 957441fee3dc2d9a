"""How the Draw tab fits its width, and the drawing carried over to a remade canvas (app/layout.py)."""

import numpy as np
import pytest

from app.layout import (
    CANVAS_HEIGHT,
    CANVAS_MAX_WIDTH,
    STACKED_MIN,
    Shape,
    for_width,
    pen_width,
    recoloured,
    refitted,
    repainted,
    rescaled,
)


@pytest.mark.parametrize(
    "width, shape",
    [
        (None, Shape(CANVAS_MAX_WIDTH, CANVAS_HEIGHT, stacked=False)),  # not measured yet: a laptop
        (1040, Shape(CANVAS_MAX_WIDTH, CANVAS_HEIGHT, stacked=False)),  # a desktop: room for five digits
        (916, Shape(CANVAS_MAX_WIDTH, CANVAS_HEIGHT, stacked=False)),  # a 1280 px laptop with the sidebar open
        (660, Shape(328, CANVAS_HEIGHT, stacked=False)),  # a 1024 px laptop with the sidebar open
        (612, Shape(280, CANVAS_HEIGHT, stacked=False)),  # just room for both: today's square canvas
        (611, Shape(560, CANVAS_HEIGHT, stacked=True)),  # too narrow for both: the whole width, up to 560
        (358, Shape(352, CANVAS_HEIGHT, stacked=True)),  # a 390 px phone: the screen's width, in steps of 8
        (288, Shape(288, CANVAS_HEIGHT, stacked=True)),  # a 320 px phone
        (200, Shape(200, 200, stacked=True)),  # never higher than wide
        (100, Shape(STACKED_MIN, STACKED_MIN, stacked=True)),
    ],
)
def test_for_width(width, shape):
    assert for_width(width) == shape


@pytest.mark.parametrize("width", [None, *range(612, 1400, 7)])
def test_side_by_side_leaves_the_result_its_room(width):
    shape = for_width(width)
    assert not shape.stacked and shape.height == CANVAS_HEIGHT
    assert 280 <= shape.width <= CANVAS_MAX_WIDTH
    if width is not None:
        assert shape.width + 32 + 300 <= max(width, 612)


@pytest.mark.parametrize("width, stacked", [(611, True), (612, False), (630, False), (640, False)])
def test_side_by_side_needs_more_room_to_come_back(width, stacked):
    """Stacking the tab can bring the page's scrollbar (17 px narrower) or take it away: a width
    at the limit must not flip between the two shapes."""
    assert for_width(width).stacked is stacked
    assert for_width(width, stacked=True).stacked is (width < 636)


def test_stacked_canvas_fits_every_phone():
    for width in range(STACKED_MIN, 612):
        shape = for_width(width)
        assert shape.stacked and min(width, CANVAS_MAX_WIDTH) - 8 < shape.width <= width
        assert shape.height == min(shape.width, CANVAS_HEIGHT)


@pytest.mark.parametrize("pen, height, width", [(20, 280, 20), (20, 352, 25), (8, 160, 5), (1, 100, 1)])
def test_pen_width_follows_the_canvas_height(pen, height, width):
    assert pen_width(pen, height) == width


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


@pytest.mark.parametrize(
    "old, new, moved",
    [
        ((280, 280), (352, 352), (12.571, 25.143, 1.257)),  # square to square: scaled, as before
        ((560, 280), (560, 280), (10.0, 20.0, 1.0)),  # the same canvas: unchanged
        ((280, 280), (560, 280), (150.0, 20.0, 1.0)),  # wider: not stretched, moved to the middle
        ((560, 280), (280, 280), (5.0, 80.0, 0.5)),  # narrower: shrunk until the whole width fits
    ],
)
def test_refitted_keeps_the_whole_drawing_in_the_middle(old, new, moved):
    first = refitted(drawing(), old, new)["objects"][0]
    assert (round(first["left"], 3), round(first["top"], 3), round(first["scaleX"], 3)) == moved
    assert first["scaleX"] == first["scaleY"]


def test_refitted_maps_the_old_centre_to_the_new_centre():
    centre = {"objects": [{"left": 280.0, "top": 140.0}]}
    moved = refitted(centre, (560, 280), (352, 280))["objects"][0]
    assert (moved["left"], moved["top"]) == (176.0, 140.0)


def test_repainted_swaps_pen_and_paper_keeping_edges():
    picture = np.zeros((1, 3, 4), np.uint8)
    picture[0, :, :3] = [[255, 255, 255], [17, 17, 17], [136, 136, 136]]  # paper, pen, an edge half way
    picture[..., 3] = 255
    out = repainted(picture, ("#111111", "#ffffff"), ("#ffffff", "#000000"))
    assert out[0, :, 0].tolist() == [0, 255, 128] and (out[..., 3] == 255).all()
    back = repainted(out, ("#ffffff", "#000000"), ("#111111", "#ffffff"))
    assert np.abs(back.astype(int) - picture).max() <= 1
