"""A quick training run really learns, is reproducible, and never replaces a better model."""

import hashlib
import json

import numpy as np
import pytest

from train.augment import AUGMENTATION
from train.config import TrainConfig
from train.model import MEMBERS
from train.train import main, parse_args, train


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("quick") / "digit_cnn.keras"
    report = train(parse_args(["--quick", "--output", str(out), "--verbose", "0"]))
    return out, report


def test_quick_run_learns(quick_run):
    out, report = quick_run
    assert report["test_accuracy"] > 0.6  # chance is 0.1
    assert out.exists() and out.with_name("confusion.png").read_bytes()[:4] == b"\x89PNG"
    saved = json.loads(out.with_name("report.json").read_text())
    assert saved["test_accuracy"] == report["test_accuracy"]
    assert set(saved) >= {"per_class_accuracy", "epochs", "wall_time_s", "parameters", "data_sha256", "versions", "seed"}
    assert len(saved["per_class_accuracy"]) == 10
    assert saved["members"] == MEMBERS and len(saved["member_test_accuracy"]) == MEMBERS


def test_same_seed_same_result(quick_run, tmp_path):
    _, first = quick_run
    again = train(parse_args(["--quick", "--output", str(tmp_path / "m.keras"), "--verbose", "0"]))
    assert again["test_accuracy"] == first["test_accuracy"]
    assert again["confusion_matrix"] == first["confusion_matrix"]


def test_worse_model_is_not_saved(quick_run, tmp_path, capsys):
    """A model more than 0.1 point worse on MNIST test leaves the current one in place."""
    out, _ = quick_run
    current = tmp_path / "digit_cnn.keras"
    current.write_bytes(out.read_bytes())
    (tmp_path / "report.json").write_text(json.dumps({"test_accuracy": 0.9999}))
    code = main(["--quick", "--output", str(current), "--verbose", "0"])
    assert code == 3
    assert current.read_bytes() == out.read_bytes()
    assert "pass --force" in capsys.readouterr().err
    assert main(["--quick", "--output", str(current), "--verbose", "0", "--force"]) == 0
    assert current.read_bytes() != out.read_bytes()


def test_bad_arguments(capsys):
    with pytest.raises(SystemExit):
        parse_args(["--epochs", "0"])
    assert "--epochs" in capsys.readouterr().err


def test_fine_tune_needs_a_model(tmp_path, capsys):
    assert main(["--quick", "--fine-tune", "--output", str(tmp_path / "none.keras"), "--verbose", "0"]) == 2
    assert "needs an existing model" in capsys.readouterr().err


def test_the_report_records_the_whole_config(quick_run):
    out, report = quick_run
    saved = json.loads(out.with_name("report.json").read_text())
    assert saved["config"] == json.loads(json.dumps(TrainConfig(epochs=1, copies=1, quick=True).as_dict()))
    assert saved["config"]["augmentation"]["pen_share"] == AUGMENTATION.pen_share
    assert saved["model_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "argv, epochs, copies",
    [([], 16, 3), (["--quick"], 1, 1), (["--quick", "--epochs", "3"], 3, 1), (["--epochs=2", "--copies", "0"], 2, 0)],
)
def test_arguments_make_the_config(argv, epochs, copies):
    config = parse_args(argv).config
    assert (config.epochs, config.copies, config.quick) == (epochs, copies, "--quick" in argv)


def test_the_number_of_members_is_an_argument():
    assert parse_args([]).config.members == TrainConfig.members
    assert parse_args(["--members", "4"]).config.members == 4


def test_the_members_widths_are_an_argument(capsys):
    assert parse_args([]).config.filters == TrainConfig.filters
    assert parse_args(["--filters", "16,32,48,64,64"]).config.filters == (16, 32, 48, 64, 64)
    with pytest.raises(SystemExit):
        parse_args(["--filters", "16,wide"])
    assert "like 16,32,32,48,48" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # refused before any data is made, not when the model is built
        parse_args(["--filters", "16,32"])
    assert "5 positive counts" in capsys.readouterr().err


def test_not_digits_are_all_ten_alike_unless_asked_for_as_an_eleventh_output():
    assert not parse_args([]).config.not_digit_output
    assert parse_args(["--not-digit-output"]).config.not_digit_output


def test_mnist_weighs_as_much_as_the_rest_unless_asked_for_more():
    assert parse_args([]).config.mnist_weight == 1
    assert parse_args(["--mnist-weight", "3"]).config.mnist_weight == 3


def test_touching_pairs_take_their_share_of_each_epoch_unless_asked_for_another():
    assert parse_args([]).config.pair_share == TrainConfig.pair_share
    assert parse_args(["--pair-share", "0.1"]).config.pair_share == 0.1


def test_config_refuses_impossible_runs():
    with pytest.raises(ValueError, match="epochs=0"):
        TrainConfig(epochs=0)
    with pytest.raises(ValueError, match="'pair_share': -0.1"):
        TrainConfig(pair_share=-0.1)
    with pytest.raises(ValueError, match="members=0"):
        TrainConfig(members=0)
    with pytest.raises(ValueError, match="mnist_weight=0"):
        TrainConfig(mnist_weight=0)


def test_an_epochs_batches_are_its_arrays_in_order_a_batch_at_a_time_without_autotuning():
    import tensorflow as tf

    from train.train import _batches

    rng = np.random.default_rng(0)
    parts = ((rng.integers(0, 256, (10, 28, 28), dtype=np.uint8),) * 2, (rng.random((10, 11), dtype=np.float32),) * 2)
    batches, steps = _batches(parts, 4)
    ours = list(batches.as_numpy_iterator())
    theirs = list(tf.data.Dataset.from_tensor_slices(parts).batch(4).as_numpy_iterator())
    assert [len(b[0][0]) for b in ours] == [4, 4, 2] and steps == 3
    assert batches.options().autotune.enabled is False
    for a, b in zip(ours, theirs, strict=True):
        for x, y in zip(tf.nest.flatten(a), tf.nest.flatten(b), strict=True):
            assert x.dtype == y.dtype and np.array_equal(x, y)
