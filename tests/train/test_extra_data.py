"""Learning from users: drawings saved by the app come back as training data."""

import numpy as np

from app.dataset import DrawingStore
from bench.conditions import transparent
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
