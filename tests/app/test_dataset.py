import io
import json
import multiprocessing
import re
import threading
import zipfile
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest
from PIL import Image

from app import dataset, store_picture
from app.contract import PROJECT_ROOT
from app.dataset import DrawingStore, load_labelled

FILE_RE = re.compile(r"(\d)/\d{8}T\d{6}\.\d{6}Z-[0-9a-f]{12}\.png")


def canvas(seed=0, size=64):
    """A small RGBA canvas like the page's, different for each seed."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (size, size, 4), dtype=np.uint8)


def index_lines(store):
    return [json.loads(line) for line in store.index_path.read_text().splitlines()]


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (canvas(1), canvas(1)),
        (canvas(2)[..., :3], canvas(2)[..., :3]),
        (canvas(3)[..., 0], canvas(3)[..., 0]),
        (Image.fromarray(canvas(4), "RGBA"), canvas(4)),
        (Image.fromarray(canvas(5)[..., :2], "LA"), canvas(5)[..., :2]),
    ],
    ids=["rgba-array", "rgb-array", "gray-array", "rgba-image", "la-image"],
)
def test_save_round_trip(tmp_path, image, expected):
    store = DrawingStore(tmp_path)
    example = store.save(image, 7, predicted=1, confidence=0.62, model_version="v3")
    assert store.examples() == [example]
    assert store.recent(5) == [example]
    assert store.counts() == {**dict.fromkeys(range(11), 0), 7: 1}
    assert (example.label, example.predicted, example.confidence) == (7, 1, 0.62)
    assert example.model_version == "v3"
    assert example.path == tmp_path / example.file
    with Image.open(example.path) as saved:
        assert np.array_equal(np.asarray(saved), expected)


def test_save_writes_layout_and_index_line(tmp_path):
    store = DrawingStore(tmp_path)
    example = store.save(canvas(), 4)
    assert FILE_RE.fullmatch(example.file).group(1) == "4"
    assert index_lines(store) == [
        {
            "file": example.file,
            "label": 4,
            "predicted": None,
            "confidence": None,
            "model_version": None,
            "time": example.time,
            "session": None,
            "status": "pending",
            "bytes": example.path.stat().st_size,
        }
    ]
    saved_at = datetime.fromisoformat(example.time)
    assert saved_at.tzinfo is not None and saved_at.utcoffset().total_seconds() == 0
    assert abs((datetime.now(UTC) - saved_at).total_seconds()) < 60


def test_examples_in_save_order_recent_newest_first(tmp_path):
    store = DrawingStore(tmp_path)
    saved = [store.save(canvas(i, 28), label) for i, label in enumerate([3, 1, 4, 1, 5])]
    assert store.examples() == saved
    assert store.recent(2) == [saved[4], saved[3]]
    assert store.recent(0) == []
    assert store.recent(99) == saved[::-1]
    assert store.counts() == {0: 0, 1: 2, 2: 0, 3: 1, 4: 1, 5: 1, 6: 0, 7: 0, 8: 0, 9: 0, 10: 0}


@pytest.mark.parametrize("n", [-1, 1.5, "3", None, True])
def test_recent_fail(tmp_path, n):
    with pytest.raises(ValueError, match="n must be a non-negative integer"):
        DrawingStore(tmp_path).recent(n)


def test_empty_store(tmp_path):
    store = DrawingStore(tmp_path / "not-yet-created")
    assert store.examples() == []
    assert store.recent(3) == []
    assert store.counts() == dict.fromkeys(range(11), 0)


@pytest.mark.parametrize("label", [0, 9, np.int64(3), np.uint8(8)])
def test_label(tmp_path, label):
    example = DrawingStore(tmp_path).save(canvas(), label)
    assert example.label == label and type(example.label) is int


@pytest.mark.parametrize("label", [True, False, "7", 11, -1, None, 7.0, 3.5, np.bool_(True)])
def test_label_fail(tmp_path, label):
    store = DrawingStore(tmp_path)
    with pytest.raises(ValueError, match="labels must be an integer 0-9") as info:
        store.save(canvas(), label)
    assert repr(label) in str(info.value)
    assert not tmp_path.joinpath("index.jsonl").exists()
    assert list(tmp_path.rglob("*.png")) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"predicted": 10}, "predicted digits must be an integer 0-9"),
        ({"predicted": "1"}, "predicted digits must be an integer 0-9"),
        ({"confidence": 1.5}, "confidence must be a number from 0 to 1"),
        ({"confidence": float("nan")}, "confidence must be a number from 0 to 1"),
        ({"confidence": "high"}, "confidence must be a number from 0 to 1"),
        ({"model_version": 3}, "model_version must be a string"),
    ],
)
def test_prediction_fields_fail(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        DrawingStore(tmp_path).save(canvas(), 2, **kwargs)


@pytest.mark.parametrize(
    "image",
    [
        Image.new("L", (dataset.MAX_SIDE, 1)),
        Image.new("L", (1, dataset.MAX_SIDE)),
        np.zeros((1, dataset.MAX_SIDE, 4), np.uint8),
    ],
    ids=["widest", "tallest", "widest-array"],
)
def test_image_size(tmp_path, image):
    assert DrawingStore(tmp_path).save(image, 1).path.is_file()


@pytest.mark.parametrize(
    ("image", "size"),
    [
        (Image.new("L", (dataset.MAX_SIDE + 1, 1)), "2001x1"),
        (Image.new("L", (1, dataset.MAX_SIDE + 1)), "1x2001"),
        (np.zeros((5000, 3, 4), np.uint8), "3x5000"),
    ],
)
def test_image_size_fail(tmp_path, image, size):
    with pytest.raises(ValueError, match=f"image is {size} pixels; the most accepted is 2000"):
        DrawingStore(tmp_path).save(image, 1)
    assert list(tmp_path.rglob("*")) == []


def test_image_pixels_fail(tmp_path, monkeypatch):
    monkeypatch.setattr(store_picture, "MAX_PIXELS", 100)
    with pytest.raises(ValueError, match="image is 11x10 pixels.* and 100 in all"):
        DrawingStore(tmp_path).save(Image.new("L", (11, 10)), 1)


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros((0, 5), np.uint8), r"image has no pixels \(5x0\)"),
        (Image.new("RGBA", (0, 0)), r"image has no pixels \(0x0\)"),
        (np.zeros((5, 5), np.float32), "expected a uint8 array, got dtype float32"),
        (np.zeros((5, 5, 2), np.uint8), r"shaped HxW, HxWx3 or HxWx4, got \(5, 5, 2\)"),
        ([[0, 1], [1, 0]], "expected a PIL image or a NumPy array, got list"),
    ],
)
def test_image_fail(tmp_path, image, message):
    with pytest.raises(ValueError, match=message):
        DrawingStore(tmp_path).save(image, 1)


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    def broken_save(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        DrawingStore(tmp_path).save(canvas(), 6)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_png_without_index_line_ignored(tmp_path):
    """A crash between writing the PNG and appending its line leaves an orphan, not an example."""
    store = DrawingStore(tmp_path)
    kept = store.save(canvas(1), 3)
    orphan = tmp_path / "3" / "20261125T093012.123456Z-0123456789ab.png"
    Image.fromarray(canvas(2)).save(orphan)
    assert store.examples() == [kept]


def test_index_line_without_png_skipped(tmp_path):
    store = DrawingStore(tmp_path)
    lost, kept = store.save(canvas(1), 3), store.save(canvas(2), 5)
    lost.path.unlink()
    assert store.examples() == [kept]
    assert store.counts()[3] == 0


def test_torn_and_garbled_index_lines_skipped(tmp_path):
    store = DrawingStore(tmp_path)
    first = store.save(canvas(1), 1)
    with open(store.index_path, "ab") as f:
        f.write(b'["not", "a record"]\n{"file": "../../etc/passwd", "label": 1, "time": "x"}\n')
        f.write(b'{"file": "2/20261125T0930')  # a writer died mid-line
    assert store.examples() == [first]
    # The next record starts on a fresh line instead of being glued to the torn one.
    second = store.save(canvas(2), 2)
    assert store.examples() == [first, second]


def test_delete(tmp_path):
    store = DrawingStore(tmp_path)
    gone, kept = store.save(canvas(1), 8), store.save(canvas(2), 8)
    assert store.delete(gone.file) is True
    assert not gone.path.exists()
    assert store.examples() == [kept]
    record = index_lines(store)[-1]
    assert record.keys() == {"deleted", "time"} and record["deleted"] == gone.file
    # Deleting again (say, a double click) changes nothing.
    assert store.delete(gone) is False
    assert len(index_lines(store)) == 3


@pytest.mark.parametrize(
    ("file", "message"),
    [
        ("../x", "outside the drawing store"),
        ("../../etc/passwd", "outside the drawing store"),
        ("7/../../x.png", "outside the drawing store"),
        ("/etc/passwd", "outside the drawing store"),
        ("index.jsonl", "not an example's path"),
        ("7/notes.txt", "not an example's path"),
        ("", "not an example's path"),
        (7, "expected an example's relative path"),
    ],
)
def test_delete_fail(tmp_path, file, message):
    store = DrawingStore(tmp_path)
    store.save(canvas(), 7)
    before = store.index_path.read_bytes()
    with pytest.raises(ValueError, match=message):
        store.delete(file)
    assert store.index_path.read_bytes() == before


def test_delete_absolute_path_inside_store_fail(tmp_path):
    store = DrawingStore(tmp_path)
    example = store.save(canvas(), 7)
    with pytest.raises(ValueError, match="outside the drawing store"):
        store.delete(str(example.path))
    assert example.path.exists()


def test_zip_bytes(tmp_path):
    store = DrawingStore(tmp_path / "store")
    live = [store.save(canvas(i), i) for i in range(3)]
    store.delete(live.pop(1))
    archive = zipfile.ZipFile(io.BytesIO(store.zip_bytes()))
    assert sorted(archive.namelist()) == sorted([e.file for e in live] + ["index.jsonl"])
    for example in live:
        assert archive.read(example.file) == example.path.read_bytes()
    lines = archive.read("index.jsonl").decode().splitlines()
    assert [json.loads(line)["file"] for line in lines] == [e.file for e in live]
    # The unpacked archive is a store of its own.
    archive.extractall(tmp_path / "unpacked")
    assert [e.file for e in DrawingStore(tmp_path / "unpacked").examples()] == [
        e.file for e in live
    ]


def test_zip_bytes_empty_store(tmp_path):
    archive = zipfile.ZipFile(io.BytesIO(DrawingStore(tmp_path).zip_bytes()))
    assert archive.namelist() == ["index.jsonl"]


def test_load_labelled(tmp_path):
    store = DrawingStore(tmp_path)
    for i, label in enumerate([5, 0, 9]):
        store.save(canvas(i, 28), label)
    store.delete(store.examples()[1])
    store.approve()
    images, labels = load_labelled(tmp_path)
    assert labels.dtype == np.uint8 and labels.tolist() == [5, 9]
    assert [np.asarray(image).tolist() for image in images] == [
        canvas(0, 28).tolist(),
        canvas(2, 28).tolist(),
    ]


def test_not_a_digit_is_saved_counted_and_loaded(tmp_path):
    store = DrawingStore(tmp_path)
    example = store.save(canvas(), dataset.NOT_A_DIGIT, predicted=8, confidence=0.4)
    assert example.file.startswith("not-a-digit/") and example.path.is_file()
    assert index_lines(store)[-1]["label"] == dataset.NOT_A_DIGIT
    assert DrawingStore(tmp_path).examples() == [example]
    assert store.counts()[dataset.NOT_A_DIGIT] == 1 and sum(store.counts().values()) == 1
    assert load_labelled(tmp_path)[1].tolist() == []  # not approved yet
    store.approve()
    assert load_labelled(tmp_path)[1].tolist() == [dataset.NOT_A_DIGIT]
    assert store.delete(example.file) and store.examples() == []


def test_not_a_digit_entry_must_live_in_its_folder(tmp_path):
    store = DrawingStore(tmp_path)
    example = store.save(canvas(), 3)
    entry = {**index_lines(store)[0], "label": dataset.NOT_A_DIGIT}
    with open(store.index_path, "a") as f:
        f.write(json.dumps(entry) + "\n")
    assert [e.label for e in store.examples()] == [3] and store.examples()[0].file == example.file


def test_load_labelled_empty(tmp_path):
    images, labels = load_labelled(tmp_path)
    assert images == [] and labels.dtype == np.uint8 and labels.shape == (0,)


def test_data_dir_env_var(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITS_DATA_DIR", str(tmp_path))
    example = DrawingStore().save(canvas(), 2)
    assert example.path.parent.parent == tmp_path
    DrawingStore().approve()
    assert load_labelled()[1].tolist() == [2]


def test_data_dir_default(monkeypatch):
    monkeypatch.delenv("DIGITS_DATA_DIR", raising=False)
    assert DrawingStore().root == PROJECT_ROOT / "data" / "drawings"


# Concurrency: every save from every thread of every process must end up as one complete PNG
# and one intact index line, and nothing else.
THREADS, SAVES = 8, 200


def tagged_image(process, thread, i):
    """A 28x28 drawing whose first pixels say who saved it."""
    image = np.full((28, 28), 255, np.uint8)
    image[0, :3] = process, thread, i
    return image


def save_many(root, process):
    store = DrawingStore(root)

    def work(thread):
        for i in range(SAVES):
            image = tagged_image(process, thread, i)
            store.save(image, (thread + i) % 10, model_version=f"{process}-{thread}-{i}")

    threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def assert_consistent(root, processes):
    store = DrawingStore(root)
    records = index_lines(store)  # raises if any line is torn or interleaved
    expected_tags = {
        f"{p}-{t}-{i}" for p in processes for t in range(THREADS) for i in range(SAVES)
    }
    assert sorted(r["model_version"] for r in records) == sorted(expected_tags)
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert on_disk == {r["file"] for r in records} | {"index.jsonl"}  # no temp files left
    for record in records:
        assert FILE_RE.fullmatch(record["file"]).group(1) == str(record["label"])
        p, t, i = map(int, record["model_version"].split("-"))
        with Image.open(root / record["file"]) as saved:
            assert np.array_equal(np.asarray(saved), tagged_image(p, t, i))
    assert len(store.examples()) == len(expected_tags)


def test_threads_save_concurrently(tmp_path):
    save_many(tmp_path, 0)
    assert_consistent(tmp_path, [0])


def test_processes_save_concurrently(tmp_path):
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    workers = [context.Process(target=save_many, args=(tmp_path, p)) for p in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0]
    assert_consistent(tmp_path, [0, 1])


# ---- visitors' sessions, review, limits ----


def unlimited(**changes):
    return dataset.Limits(**{"save_interval": 0.0, **changes})


def test_new_saves_are_pending_until_approved(tmp_path):
    store = DrawingStore(tmp_path)
    first, second = store.save(canvas(1), 1), store.save(canvas(2), 2)
    assert [e.status for e in store.examples()] == ["pending", "pending"]
    assert store.approve([first.file]) == 1
    assert store.examples(status="approved") == [replace(first, status="approved")]
    assert store.examples(status="pending") == [second]
    assert store.approve() == 1  # every pending one
    assert store.approve() == 0
    assert store.counts(status="approved") == {**dict.fromkeys(dataset.LABELS, 0), 1: 1, 2: 1}


def test_approve_fail(tmp_path):
    store = DrawingStore(tmp_path)
    store.save(canvas(), 1)
    with pytest.raises(ValueError, match="outside the drawing store"):
        store.approve(["../index.jsonl"])
    assert store.examples(status="approved") == []


def test_visitor_lists_and_takes_back_only_their_own(tmp_path):
    store = DrawingStore(tmp_path, unlimited())
    mine = store.save(canvas(1), 1, session="visitor-a")
    theirs = store.save(canvas(2), 2, session="visitor-b")
    assert store.examples(session="visitor-a") == [mine]
    assert store.recent(5, session="visitor-b") == [theirs]
    with pytest.raises(ValueError, match="saved by another visitor"):
        store.delete(theirs.file, session="visitor-a")
    assert theirs.path.exists()
    assert store.delete(mine.file, session="visitor-a") is True
    assert store.examples() == [theirs]


@pytest.mark.parametrize("session", ["", "a" * 65, "../x", "a b", 7])
def test_session_fail(tmp_path, session):
    with pytest.raises(ValueError, match="session must be 1-64 letters"):
        DrawingStore(tmp_path).save(canvas(), 1, session=session)
    assert not (tmp_path / "index.jsonl").exists()


def test_one_save_a_second_per_session(tmp_path):
    store = DrawingStore(tmp_path, dataset.Limits(save_interval=60.0))
    store.save(canvas(1), 1, session="visitor-a")
    with pytest.raises(dataset.SaveRefused, match="one save every 60 s at most"):
        store.save(canvas(2), 1, session="visitor-a")
    store.save(canvas(3), 1, session="visitor-b")  # another visitor is not held up
    store.save(canvas(4), 1)  # nor the command line
    assert len(store.examples()) == 3
    assert len(index_lines(store)) == 3


def test_saves_per_session_capped(tmp_path):
    store = DrawingStore(tmp_path, unlimited(session_saves=3))
    saved = [store.save(canvas(i), 1, session="visitor-a") for i in range(3)]
    store.delete(saved[0], session="visitor-a")  # taking one back gives no save back
    with pytest.raises(dataset.SaveRefused, match="this visit has saved 3 drawings, the most one visit may"):
        store.save(canvas(9), 1, session="visitor-a")
    store.save(canvas(9), 1, session="visitor-b")
    assert len(store.examples()) == 3


def test_quota_reached_nothing_written(tmp_path):
    store = DrawingStore(tmp_path, unlimited(quota_bytes=100_000))
    while True:
        before = sorted(p for p in tmp_path.rglob("*"))
        index_before = store.index_path.read_bytes() if store.index_path.exists() else b""
        try:
            store.save(canvas(len(before), 64), 4, session="visitor-a")
        except dataset.SaveRefused as exc:
            refusal = str(exc)
            break
    assert "the drawing store is full" in refusal and "nothing was saved" in refusal
    assert sorted(p for p in tmp_path.rglob("*")) == before
    assert store.index_path.read_bytes() == index_before
    assert store.used_bytes() <= 100_000 and len(store.examples()) >= 3
    # Deleting makes room again.
    store.delete(store.examples()[0])
    store.save(canvas(1, 64), 4, session="visitor-a")


def test_limits_from_env():
    limits = dataset.Limits.from_env({"DIGITS_STORE_QUOTA_MB": "2", "DIGITS_SESSION_SAVES": "5", "DIGITS_SAVE_INTERVAL": "0.5"})
    assert limits == dataset.Limits(quota_bytes=2 * 1024 * 1024, session_saves=5, save_interval=0.5)
    assert dataset.Limits.from_env({}) == dataset.Limits()


@pytest.mark.parametrize("value", ["lots", "-1", "nan", "inf"])
def test_limits_from_env_fail(value):
    with pytest.raises(ValueError, match="DIGITS_STORE_QUOTA_MB must be a"):
        dataset.Limits.from_env({"DIGITS_STORE_QUOTA_MB": value})


def test_large_pictures_saved_downscaled(tmp_path):
    example = DrawingStore(tmp_path).save(np.full((1000, 500, 4), 200, np.uint8), 3)
    with Image.open(example.path) as saved:
        assert saved.size == (dataset.SAVE_SIDE // 2, dataset.SAVE_SIDE)  # 500 wide, 1000 high
        assert saved.mode == "RGBA"


def test_failed_index_append_leaves_no_orphan(tmp_path, monkeypatch):
    def broken_append(fd, record):
        raise OSError("no space left on device")

    monkeypatch.setattr(dataset.index, "append", broken_append)
    with pytest.raises(OSError, match="no space left"):
        DrawingStore(tmp_path).save(canvas(), 6)
    assert list(tmp_path.rglob("*.png")) == [] and list(tmp_path.rglob("*.tmp")) == []


# ---- training's view ----


def approved_store(tmp_path, saves):
    """A store with every (seed, label, session) of `saves` saved and approved."""
    store = DrawingStore(tmp_path, unlimited())
    for seed, label, session in saves:
        store.save(canvas(seed, 28), label, session=session)
    store.approve()
    return store


def test_load_labelled_approved_only(tmp_path):
    store = DrawingStore(tmp_path)
    store.save(canvas(1, 28), 1)
    store.approve()
    store.save(canvas(2, 28), 2)  # pending: a stranger's label, not yet looked at
    assert load_labelled(tmp_path)[1].tolist() == [1]
    assert load_labelled(tmp_path, approved_only=False)[1].tolist() == [1, 2]


def test_load_labelled_drops_exact_duplicates(tmp_path):
    approved_store(tmp_path, [(1, 1, "a"), (1, 1, "b"), (1, 7, "c"), (2, 2, "a")])
    images, labels = load_labelled(tmp_path)
    assert labels.tolist() == [1, 2]


def test_load_labelled_caps_each_sessions_share(tmp_path):
    # One session saved 30, two others 5 each: it keeps max(20, 25 % of 40) = 20.
    saves = [(i, i % 10, "flood") for i in range(30)]
    saves += [(100 + i, 3, "a") for i in range(5)] + [(200 + i, 4, "b") for i in range(5)]
    approved_store(tmp_path, saves)
    images, labels = load_labelled(tmp_path)
    assert len(labels) == 30 and labels.tolist()[:20] == [i % 10 for i in range(20)]
    assert labels.tolist()[20:] == [3] * 5 + [4] * 5


def test_load_labelled_does_not_cap_saves_without_a_session(tmp_path):
    approved_store(tmp_path, [(i, i % 10, None) for i in range(30)])  # the command line's
    assert len(load_labelled(tmp_path)[1]) == 30
