"""Learning from users: drawings saved by the app come back as training data."""

import numpy as np

from app.dataset import DrawingStore
from bench.conditions import transparent
from tests.support.epochs import inked_taught_as_not_a_digit
from train.train import parse_args, train


def test_save_reload_train_round_trip(tmp_path, mnist):
    store = DrawingStore(tmp_path / "drawings")
    rng = np.random.default_rng(0)
    for digit, label in zip(mnist.x_test[:30], mnist.y_test[:30]):
        store.save(transparent(digit, rng), int(label), predicted=int(label), confidence=0.9, model_version="test")
    assert sum(store.counts().values()) == 30
    store.approve()  # the operator has looked at them

    out = tmp_path / "model" / "digit_cnn.keras"
    report = train(parse_args(["--quick", "--output", str(out), "--verbose", "0", "--extra-data", str(store.root)]))
    assert report["user_drawings"] == {
        "train": 24,
        "held_out": 6,
        "held_out_accuracy": report["user_drawings"]["held_out_accuracy"],
    }
    assert 0.0 <= report["user_drawings"]["held_out_accuracy"] <= 1.0

    # Fine-tuning the saved model on the same drawings keeps it a working model.
    tuned = train(parse_args(["--quick", "--fine-tune", "--output", str(out), "--verbose", "0",
                              "--extra-data", str(store.root), "--force"]))
    assert tuned["fine_tuned"] and tuned["test_accuracy"] > 0.6


def test_empty_extra_data_is_an_error(tmp_path, capsys):
    from train.train import main

    (tmp_path / "empty").mkdir()
    assert main(["--quick", "--output", str(tmp_path / "m.keras"), "--verbose", "0", "--extra-data", str(tmp_path / "empty")]) == 2
    assert "no approved labelled drawings" in capsys.readouterr().err


def test_pending_drawings_are_not_trained_on(tmp_path, capsys):
    from train.train import main

    store = DrawingStore(tmp_path / "drawings")
    store.save(np.full((28, 28), 255, np.uint8), 1)  # a stranger's label, not yet approved
    assert main(["--quick", "--output", str(tmp_path / "m.keras"), "--verbose", "0", "--extra-data", str(store.root)]) == 2
    assert "no approved labelled drawings" in capsys.readouterr().err


def scribble(seed: int) -> np.ndarray:
    """A tangle of lines on white paper, as a user might draw when it is no digit."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    paper = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(paper).line([tuple(p) for p in rng.uniform(20, 180, size=(12, 2))], fill=0, width=12)
    return np.asarray(paper)


def test_not_a_digit_drawings_are_read_back_by_training(tmp_path, mnist):
    from app.dataset import NOT_A_DIGIT
    from train.drawings import users_drawings

    store = DrawingStore(tmp_path)
    store.save(scribble(0), NOT_A_DIGIT, predicted=8, confidence=0.4)
    store.save(255 - mnist.x_test[0], int(mnist.y_test[0]))
    store.approve()
    (x, y), held_out = users_drawings(tmp_path, seed=0, holdout=0.2)
    assert held_out is None and x.shape == (2, 28, 28)
    assert sorted(y.tolist()) == sorted([NOT_A_DIGIT, int(mnist.y_test[0])])


def test_not_a_digit_drawings_train_as_not_a_digit(tmp_path):
    from app.dataset import NOT_A_DIGIT
    from train.config import TrainConfig
    from train.drawings import users_drawings
    from train.train import Data

    store = DrawingStore(tmp_path)
    for seed in range(6):
        store.save(scribble(seed), NOT_A_DIGIT)
    store.approve()
    extra, _ = users_drawings(tmp_path, seed=0, holdout=0.2)
    # MNIST stand-ins without ink and no generated not-digits: only users' drawings have ink.
    blank = np.zeros((400, 28, 28), np.uint8)
    data = Data(blank[None], np.zeros(400, np.uint8), blank[:1], np.zeros(1, np.uint8), blank[:0], extra, None, "")
    config = TrainConfig()
    assert inked_taught_as_not_a_digit(data, config) == int(config.extra_share * 400)
