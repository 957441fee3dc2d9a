"""The stroke history behind Undo and Clear (app/history.py)."""

import numpy as np
import pytest

from app.history import StrokeHistory, stroke_count


def drawing(strokes: int) -> dict:
    return {"objects": [{"type": "path", "n": i} for i in range(strokes)]}


def picture(strokes: int) -> np.ndarray:
    """A stand-in canvas picture that says how many strokes it shows."""
    return np.full((4, 4), strokes, np.uint8)


def drawn(history: StrokeHistory, strokes: int) -> StrokeHistory:
    for n in range(1, strokes + 1):
        history.record(drawing(n), picture(n))
    return history


@pytest.mark.parametrize("json_data, count", [(None, 0), ({}, 0), ({"objects": None}, 0), (drawing(3), 3)])
def test_stroke_count(json_data, count):
    assert stroke_count(json_data) == count


def test_an_empty_history_reads_nothing():
    assert StrokeHistory().current() == (None, 0)
    assert StrokeHistory().undo() is None


def test_the_latest_report_is_read():
    image, strokes = drawn(StrokeHistory(), 3).current()
    assert strokes == 3 and image[0, 0] == 3


def test_a_canvas_without_a_picture_keeps_what_was_read():
    history = drawn(StrokeHistory(), 2)
    history.record(drawing(2), None)
    assert history.current()[1] == 2


def test_undo_goes_back_one_stroke_and_returns_the_drawing_to_restart_from():
    history = drawn(StrokeHistory(), 3)
    assert history.undo() == drawing(2)
    image, strokes = history.current()
    assert strokes == 2 and image[0, 0] == 2
    assert history.undo() == drawing(1)
    assert history.undo() is None and history.current() == (None, 0)


def test_a_stroke_after_undo_replaces_the_undone_one():
    history = drawn(StrokeHistory(), 3)
    history.undo()
    history.record(drawing(3), picture(30))
    assert len(history) == 3 and history.current()[0][0, 0] == 30


def test_undo_reaches_back_as_far_as_its_depth():
    history = drawn(StrokeHistory(depth=5), 12)
    counts = [stroke_count(history.undo()) for _ in range(5)]
    assert counts == [11, 10, 9, 8, 7]
    assert history.current()[1] == 7 and not history.can_undo()


@pytest.mark.parametrize("strokes", [20, 21, 22, 40])
def test_each_of_twenty_undos_takes_back_one_stroke(strokes):
    history = drawn(StrokeHistory(depth=20), strokes)
    for n in range(strokes - 1, strokes - 21, -1):
        assert history.can_undo()
        restart = history.undo()
        assert stroke_count(restart) == n and history.current()[1] == n
        assert n == 0 or history.current()[0][0, 0] == n


@pytest.mark.parametrize("strokes, undos, allowed", [(1, 0, True), (1, 1, False), (3, 2, True), (4, 2, False)])
def test_can_undo(strokes, undos, allowed):
    history = drawn(StrokeHistory(depth=2), strokes)
    for _ in range(undos):
        history.undo()
    assert history.can_undo() is allowed


def test_clear_forgets_everything():
    history = drawn(StrokeHistory(), 4)
    history.clear()
    assert history.current() == (None, 0) and len(history) == 0


def test_depth_must_hold_one_report():
    with pytest.raises(AssertionError, match="at least one"):
        StrokeHistory(depth=0)


def test_a_report_seen_before_is_not_recorded_again():
    """The canvas returns its last report on every rerun; a recoloured history must survive it."""
    history = drawn(StrokeHistory(), 2)
    history.redrawn(lambda d: {**d, "recoloured": True}, lambda p: p + 100)
    history.record(drawing(2), picture(2))  # the same report once more
    image, strokes = history.current()
    assert strokes == 2 and image[0, 0] == 102 and history.latest()["recoloured"]


def test_a_report_without_strokes_empties_it():
    history = drawn(StrokeHistory(), 2)
    history.record(drawing(0), picture(0))
    assert history.current() == (None, 0) and not history.can_undo()


def test_redrawn_reaches_every_kept_drawing():
    history = drawn(StrokeHistory(), 3)
    history.redrawn(lambda d: {**d, "scaled": 2})
    assert history.undo()["scaled"] == 2 and history.undo()["scaled"] == 2
