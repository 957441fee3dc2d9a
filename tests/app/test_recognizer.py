"""The recognizer refuses a model that breaks the contract, and reads digits however they arrive."""

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.recognizer import EMPTY, ModelError, Prediction, Recognizer

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def canvas(digit: np.ndarray, scale: int = 4) -> np.ndarray:
    """An MNIST digit enlarged and drawn dark on a light canvas, as a uint8 array."""
    return 255 - np.kron(digit, np.ones((scale, scale), dtype=np.uint8))


# Loading


def test_load_fixture_model():
    recognizer = Recognizer.load(FIXTURES / "tiny_valid.onnx")
    assert recognizer.card["version"] == "tiny-1"
    assert recognizer.card["accuracy"] == pytest.approx(0.1)
    assert recognizer.card["precision"] == "fp32"
    assert recognizer.card["class_labels"] == [str(d) for d in range(10)]
    assert recognizer.card["size_bytes"] == (FIXTURES / "tiny_valid.onnx").stat().st_size
    assert len(recognizer.card["sha256"]) == 64


def test_load_relative_path_from_anywhere(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert Recognizer.load("tests/app/fixtures/tiny_valid.onnx").path == FIXTURES / "tiny_valid.onnx"


@pytest.mark.parametrize(
    "fixture, words",
    [
        ("wrong_input_name.onnx", "its inputs are ['input_1']"),
        ("wrong_output.onnx", "output 'probabilities' has shape ['N', 5]"),
        ("fixed_batch.onnx", "its batch size is fixed at 1"),
        ("flat_input.onnx", "input 'image' has shape ['N', 784]"),
    ],
)
def test_load_wrong_contract_fail(fixture, words):
    with pytest.raises(ModelError) as failure:
        Recognizer.load(FIXTURES / fixture)
    message = str(failure.value)
    assert "does not fit the app" in message
    assert words in message
    assert "expected input 'image' float32 [N, 28, 28, 1]" in message
    assert "make train && make export" in message


def write(name: str, data: bytes):
    def make(folder: Path) -> Path:
        (folder / name).write_bytes(data)
        return folder / name

    return make


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda folder: folder / "missing.onnx", "No model file at"),
        (lambda folder: folder, "is a folder, not a model file"),
        (write("garbage.onnx", b"\x08\x01garbage" * 50), "is not a usable ONNX model"),
        (write("empty.onnx", b""), "is not a usable ONNX model"),
        (write("half.onnx", (FIXTURES / "tiny_valid.onnx").read_bytes()[:5000]), "is not a usable ONNX model"),
    ],
    ids=["missing", "folder", "garbage", "empty", "half-written"],
)
def test_load_unusable_file_fail(tmp_path, make, words):
    with pytest.raises(ModelError) as failure:
        Recognizer.load(make(tmp_path))
    assert words in str(failure.value)
    assert "make train && make export" in str(failure.value)


def test_model_error_is_a_value_error():
    assert issubclass(ModelError, ValueError)


def test_card_precision_comes_from_the_metadata_not_the_name(tmp_path):
    shutil.copyfile(FIXTURES / "tiny_valid.onnx", tmp_path / "digit_cnn.int8.onnx")
    assert Recognizer.load(tmp_path / "digit_cnn.int8.onnx").card["precision"] == "fp32"


# Reading digits with the real model


def test_reads_mnist(recognizer, mnist_digits):
    x, y = mnist_digits
    results = recognizer.predict_batch(list(x))
    assert np.mean([r.digit for r in results] == y) >= 0.99
    assert np.mean([r.status == "ok" for r in results]) >= 0.95


def as_mode(digit: np.ndarray, mode: str) -> Image.Image:
    dark = canvas(digit)
    if mode == "I;16":
        image = Image.fromarray(dark.astype(np.uint16) * 257)
        assert image.mode == "I;16"
        return image
    if mode == "RGBA":  # drawn strokes on a transparent canvas, as the page's canvas sends
        rgba = np.zeros(dark.shape + (4,), np.uint8)
        rgba[..., 3] = 255 - dark
        return Image.fromarray(rgba, "RGBA")
    return Image.fromarray(dark, "L").convert(mode)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "P", "I;16"])
def test_predict_pil_modes(recognizer, mnist_digits, mode):
    x, y = mnist_digits
    for digit, label in zip(x[:5], y[:5]):
        image = as_mode(digit, mode)
        assert image.mode == mode
        assert recognizer.predict(image).digit == label


@pytest.mark.parametrize(
    "shape",
    [lambda a: a, lambda a: np.stack([a] * 3, axis=-1), lambda a: np.dstack([a] * 3 + [np.full_like(a, 255)])],
    ids=["HxW", "HxWx3", "HxWx4"],
)
def test_predict_uint8_arrays(recognizer, mnist_digits, shape):
    x, y = mnist_digits
    for digit, label in zip(x[:5], y[:5]):
        assert recognizer.predict(shape(canvas(digit))).digit == label


@pytest.mark.parametrize(
    "array, words",
    [
        (np.zeros((28, 28), np.float32), "uint8"),
        (np.zeros((28, 28), np.int64), "uint8"),
        (np.zeros((28, 28, 2), np.uint8), "HxW, HxWx3 or HxWx4"),
        (np.zeros((28, 28, 5), np.uint8), "HxW, HxWx3 or HxWx4"),
        (np.zeros(784, np.uint8), "HxW, HxWx3 or HxWx4"),
        (np.zeros((1, 28, 28, 1), np.uint8), "HxW, HxWx3 or HxWx4"),
        ([[0, 255], [255, 0]], "PIL image or a NumPy array"),
    ],
    ids=["float32", "int64", "2 channels", "5 channels", "flat", "4-d", "list"],
)
def test_predict_bad_input_fail(recognizer, array, words):
    with pytest.raises(ValueError, match=words):
        recognizer.predict(array)


@pytest.mark.parametrize(
    "image",
    [np.full((280, 280), 255, np.uint8), np.zeros((280, 280, 4), np.uint8), Image.new("RGB", (1, 1), "white")],
    ids=["white canvas", "transparent canvas", "one pixel"],
)
def test_predict_empty(recognizer, image):
    prediction = recognizer.predict(image)
    assert prediction == EMPTY
    assert prediction.status == "empty"
    assert (prediction.digit, prediction.confidence, prediction.probabilities, prediction.model_input) == (None,) * 4
    assert prediction.top2 == ()
    assert recognizer.evidence(prediction) is None


def test_probabilities_sum_to_1(recognizer, mnist_digits):
    x, _ = mnist_digits
    for prediction in recognizer.predict_batch([canvas(d) for d in x[:20]]):
        assert len(prediction.probabilities) == 10
        assert sum(prediction.probabilities) == pytest.approx(1.0, abs=1e-4)
        assert min(prediction.probabilities) >= 0
        assert prediction.confidence == max(prediction.probabilities)
        assert prediction.top2[0] == (prediction.digit, prediction.confidence)


def same(a: Prediction, b: Prediction) -> bool:
    """Equal answers; probabilities may differ in the last float digits between batch sizes."""
    if a.probabilities is None or b.probabilities is None:
        return a == b
    return (a.digit, a.status) == (b.digit, b.status) and np.allclose(a.probabilities, b.probabilities, atol=1e-5)


def test_predict_batch_equals_predict(recognizer, mnist_digits):
    x, _ = mnist_digits
    blank = np.full((100, 100), 255, np.uint8)
    images = [canvas(x[0]), blank, canvas(x[1]), canvas(x[2]), blank, canvas(x[3])]
    batched = recognizer.predict_batch(images)
    assert len(batched) == len(images)
    assert [p.status for p in batched][1::3] == ["empty", "empty"]
    assert all(same(b, recognizer.predict(image)) for b, image in zip(batched, images))


def test_predict_batch_edge_cases(recognizer):
    assert recognizer.predict_batch([]) == []
    assert recognizer.predict_batch([np.zeros((50, 50), np.uint8)] * 3) == [EMPTY] * 3


def test_threads_give_the_same_answers(recognizer, mnist_digits):
    x, _ = mnist_digits
    images = [canvas(d) for d in x[:48]]
    sequential = [recognizer.predict(image) for image in images]
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(recognizer.predict, images))
    assert all(same(a, b) for a, b in zip(sequential, concurrent))


def test_evidence_points_at_the_ink(recognizer, mnist_digits):
    x, _ = mnist_digits
    prediction = recognizer.predict(canvas(x[0]))
    evidence = recognizer.evidence(prediction)
    assert evidence.shape == (28, 28) and evidence.dtype == np.float32
    ink = prediction.model_input > 0.5
    assert evidence[ink].max() > 0
    assert np.all(evidence[prediction.model_input <= 0.05] == 0)


def counting_model_calls(recognizer, monkeypatch) -> list:
    """A fresh recognizer on the same model whose model calls of more than one picture (the
    occlusion batches; a prediction is a batch of one) are counted."""
    fresh = Recognizer(recognizer.session, recognizer.path, recognizer.metadata, recognizer.card)
    calls = []
    run = fresh.probabilities

    def counted(batch):
        if len(batch) > 1:
            calls.append(len(batch))
        return run(batch)

    monkeypatch.setattr(fresh, "probabilities", counted)
    return fresh, calls


def test_evidence_of_a_picture_read_again_is_not_computed_again(recognizer, mnist_digits, monkeypatch):
    x, _ = mnist_digits
    fresh, calls = counting_model_calls(recognizer, monkeypatch)
    first = fresh.evidence(fresh.predict(canvas(x[0])))
    again = fresh.evidence(fresh.predict(canvas(x[0])))
    assert len(calls) == 1 and np.array_equal(first, again)
    assert not again.flags.writeable  # one map shared by every reader: nobody may change it
    fresh.evidence(fresh.predict(canvas(x[1])))
    assert len(calls) == 2


def test_evidence_kept_for_the_latest_pictures_only(recognizer, mnist_digits, monkeypatch):
    x, _ = mnist_digits
    monkeypatch.setattr("app.recognizer.EVIDENCE_KEPT", 2)
    fresh, calls = counting_model_calls(recognizer, monkeypatch)
    predictions = [fresh.predict(canvas(d)) for d in x[:3]]
    for p in predictions + predictions[2:] + predictions[:1]:
        fresh.evidence(p)
    assert len(calls) == 4  # the third again is kept; the first was forgotten for the third


def test_model_input_is_what_the_model_saw(recognizer, mnist_digits):
    x, _ = mnist_digits
    prediction = recognizer.predict(canvas(x[0]))
    assert prediction.model_input.shape == (28, 28) and prediction.model_input.dtype == np.float32
    again = recognizer.probabilities(prediction.model_input[None])[0]
    assert np.allclose(again, prediction.probabilities, atol=1e-5)
