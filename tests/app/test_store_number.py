"""Whole numbers in the drawing store (app/dataset.py `save_number`, app/store_number.py): one
save of the number's picture with its string and each digit's crop with its label, under the
same limits; training still reads digits only; taking a number back takes its digits too."""

import json
import os

import numpy as np
import pytest
from PIL import Image

from app.dataset import DrawingStore, Limits, SaveRefused, load_labelled
from app.store_index import check_line
from app.store_number import NUMBER_SAVE_SIDE, digit_crop, number_files


def canvas(width=560, height=280) -> np.ndarray:
    picture = np.full((height, width, 4), 255, np.uint8)
    for i in range(3):  # three dark bars, one a digit, each a little lower than the one before
        picture[40 + 10 * i : 240, 60 + 160 * i : 90 + 160 * i, :3] = 17
    return picture


def digits_of(picture, number="104", boxes=((60, 40, 90, 240), (220, 40, 250, 240), (380, 40, 410, 240))):
    return [(digit_crop(picture, box), int(d), int(d), 0.9) for box, d in zip(boxes, number)]


@pytest.fixture
def store(tmp_path):
    return DrawingStore(tmp_path / "drawings", Limits())


def index_lines(store) -> list[dict]:
    return [json.loads(line) for line in store.index_path.read_text().splitlines()]


def test_save_number_keeps_the_number_and_its_digits(store):
    picture = canvas()
    whole, *parts = store.save_number(picture, "104", "1?4", digits_of(picture), model_version="v1", session="s-1")
    assert whole.file.startswith("numbers/") and whole.number == "104" and whole.predicted == "1?4" and whole.label is None
    assert [(p.label, p.part_of) for p in parts] == [(1, whole.file), (0, whole.file), (4, whole.file)]
    assert all(e.path.is_file() for e in (whole, *parts))
    lines = index_lines(store)
    assert lines[0]["number"] == "104" and "label" not in lines[0]
    assert [line.get("part_of") for line in lines[1:]] == [whole.file] * 3
    with Image.open(whole.path) as saved:
        assert saved.size == (560, 280)  # a number keeps its width (up to NUMBER_SAVE_SIDE)


def test_save_number_without_digits_keeps_the_picture_only(store):
    (whole,) = store.save_number(canvas(), "1040", "104", session="s-1")
    assert [e.file for e in store.examples()] == [whole.file]


def test_a_wide_number_is_kept_at_most_number_save_side_wide(store):
    (whole,) = store.save_number(canvas(1200, 300), "7")
    with Image.open(whole.path) as saved:
        assert saved.size == (NUMBER_SAVE_SIDE, 160)


@pytest.mark.parametrize(
    "number, predicted, digits, message",
    [
        ("10a", None, 0, "must be 1 to 12 digits"),
        ("", None, 0, "must be 1 to 12 digits"),
        (104, None, 0, "must be 1 to 12 digits"),
        ("1" * 13, None, 0, "must be 1 to 12 digits"),
        ("104", "1x4", 0, "number read must be"),
        ("1040", None, 3, "saves 4 digit pictures, not 3"),
    ],
)
def test_save_number_fail(store, number, predicted, digits, message):
    picture = canvas()
    with pytest.raises(ValueError, match=message):
        store.save_number(picture, number, predicted, digits_of(picture)[:digits] if digits else ())
    assert not store.index_path.exists() and not any(store.root.rglob("*.png")) if store.root.exists() else True


def test_digit_labels_must_match_the_number(store):
    picture = canvas()
    wrong = digits_of(picture, "105")
    with pytest.raises(ValueError, match="labelled as the number reads"):
        number_files(picture, "104", None, wrong)


def test_one_save_a_second_does_not_refuse_the_digits_of_the_same_save(store):
    picture = canvas()
    saved = store.save_number(picture, "104", None, digits_of(picture), session="s-1")
    assert len(saved) == 4
    with pytest.raises(SaveRefused, match="one save every 1 s"):
        store.save(picture, 1, session="s-1")


def test_every_file_counts_against_the_visits_saves(tmp_path):
    store = DrawingStore(tmp_path, Limits(session_saves=3, save_interval=0))
    picture = canvas()
    with pytest.raises(SaveRefused, match="the most one visit may"):
        store.save_number(picture, "104", None, digits_of(picture), session="s-1")  # 4 files > 3
    assert not any(tmp_path.rglob("*.png"))
    assert len(store.save_number(picture, "104", session="s-1")) == 1


def test_every_file_counts_against_the_quota(tmp_path):
    picture = canvas()
    alone = DrawingStore(tmp_path / "a", Limits()).save_number(picture, "104")[0].size
    store = DrawingStore(tmp_path / "b", Limits(quota_bytes=alone + 800))
    with pytest.raises(SaveRefused, match="store is full"):
        store.save_number(picture, "104", None, digits_of(picture))
    assert not any((tmp_path / "b").rglob("*.png"))


def test_a_failed_index_write_leaves_no_file(store, monkeypatch):
    from app import store_index

    def broken(fd, record):
        raise OSError("disk full")

    monkeypatch.setattr(store_index, "append", broken)
    picture = canvas()
    with pytest.raises(OSError):
        store.save_number(picture, "104", None, digits_of(picture))
    assert not any(store.root.rglob("*.png"))


def test_training_reads_the_digits_of_a_number_not_the_number(store):
    picture = canvas()
    store.save_number(picture, "104", None, digits_of(picture))
    store.save(picture, 7)
    store.approve()
    images, labels = load_labelled(store.root)
    assert sorted(labels.tolist()) == [0, 1, 4, 7]
    assert store.counts()[1] == 1 and sum(store.counts().values()) == 4


def test_listing_without_parts_shows_the_number_once(store):
    picture = canvas()
    whole, *_ = store.save_number(picture, "104", None, digits_of(picture), session="s-1")
    assert [e.file for e in store.recent(10, session="s-1", parts=False)] == [whole.file]
    assert len(store.recent(10, session="s-1")) == 4


def test_taking_back_a_number_takes_its_digits(store):
    picture = canvas()
    whole, *parts = store.save_number(picture, "104", None, digits_of(picture), session="s-1")
    kept = store.save(picture, 7)
    assert store.delete(whole.file, session="s-1")
    assert [e.file for e in store.examples()] == [kept.file]
    assert not any(p.path.exists() for p in (whole, *parts))
    assert not store.delete(whole.file)


def test_approving_a_number_approves_its_digits(store):
    picture = canvas()
    whole, *parts = store.save_number(picture, "104", None, digits_of(picture))
    assert store.approve([whole.file]) == 4
    assert {e.status for e in store.examples()} == {"approved"}


@pytest.mark.parametrize(
    "record, problem",
    [
        ({"number": "2046", "predicted": "20?6"}, None),
        ({"number": "2046"}, None),
        ({"number": "20a6"}, "'number' is not"),
        ({"number": 2046}, "'number' is not"),
        ({"number": "2046", "label": 2}, "no 'label'"),
        ({"number": "2046", "predicted": 2046}, "'predicted' is not a number as read"),
        ({"number": "2046", "part_of": "numbers/20261202T001500.000000Z-0123456789ab.png"}, "no 'label' or 'part_of'"),
    ],
)
def test_index_number_lines(record, problem):
    line = {"file": "numbers/20261202T001500.000000Z-0123456789ab.png", "time": "2026-12-02T00:15:00.000000Z", **record}
    entry, found = check_line(json.dumps(line).encode())
    assert (found is None) == (problem is None) and (problem is None or problem in found)


@pytest.mark.parametrize(
    "record, problem",
    [
        ({"part_of": "numbers/20261202T001500.000000Z-0123456789ab.png"}, None),
        ({"part_of": "4/20261202T001500.000000Z-0123456789ab.png"}, "'part_of' is not"),
        ({"part_of": "../x.png"}, "'part_of' is not"),
        ({"number": "4"}, "a digit has no 'number'"),
    ],
)
def test_index_digit_lines_of_a_number(record, problem):
    line = {"file": "4/20261202T001500.000000Z-0123456789ab.png", "label": 4, "time": "2026-12-02T00:15:00.000000Z", **record}
    entry, found = check_line(json.dumps(line).encode())
    assert (found is None) == (problem is None) and (problem is None or problem in found)


def test_an_index_from_before_numbers_still_loads(store):
    store.root.mkdir(parents=True)
    name = "7/20261125T093012.123456Z-ab12cd34ef56.png"
    os.makedirs(store.root / "7")
    Image.new("L", (28, 28)).save(store.root / name)
    store.index_path.write_text(json.dumps({"file": name, "label": 7, "time": "2026-11-25T09:30:12.123456Z"}) + "\n")
    (example,) = store.examples()
    assert example.label == 7 and example.number is None and example.part_of is None


@pytest.mark.parametrize(
    "box, size",
    [((60, 40, 90, 240), (30 + 2 * 24, 200 + 2 * 24)), ((0, 0, 30, 200), (30 + 24, 200 + 24)), ((540, 200, 560, 280), (20 + 10, 80 + 10))],
)
def test_digit_crop_keeps_a_margin_of_paper_inside_the_picture(box, size):
    crop = digit_crop(canvas(), box)
    assert (crop.shape[1], crop.shape[0]) == size
    assert digit_crop(Image.fromarray(canvas()), box).size == size
