"""One epoch's examples for one member: the mix of MNIST views, users' drawings, font digits
and not-digits, shuffled, with the soft targets training fits (train/train.py)."""

from __future__ import annotations

import numpy as np

from app.contract import NUM_CLASSES
from app.dataset import NOT_A_DIGIT
from train.config import TrainConfig


def targets(outputs: int) -> np.ndarray:
    """The training target of each label (a row per label, NOT_A_DIGIT last) for members with
    `outputs` outputs: one-hot for a digit; for NOT_A_DIGIT the eleventh output, or with ten
    outputs all ten alike."""
    if outputs == NUM_CLASSES + 1:
        return np.eye(outputs, dtype=np.float32)
    if outputs != NUM_CLASSES:
        raise ValueError(f"members have {outputs} outputs; expected {NUM_CLASSES} or {NUM_CLASSES + 1}")
    return np.vstack([np.eye(NUM_CLASSES), np.full((1, NUM_CLASSES), 1 / NUM_CLASSES)]).astype(np.float32)


assert len(targets(NUM_CLASSES)) == NOT_A_DIGIT + 1, "the not-a-digit target must be the row after the digits"


def epoch_examples(data, config: TrainConfig, rng: np.random.Generator, outputs: int = NUM_CLASSES):
    """One epoch's examples in a random order, with their targets (N, `outputs`, `targets`) and
    loss weights (N,: MNIST's digits `mnist_weight` times the rest, their mean 1): each
    digit once, in one of its views picked at random and shifted a little; users' drawings
    oversampled to `extra_share` of the epoch; `junk_share` of not-digits and `pair_share` of
    touching pairs; with fonts, `font_share` of font digits and `letter_share` of font letters
    and signs. With a teacher, MNIST's targets are `teacher_share` its answer for the view picked
    (train/teacher.py). Users' NOT_A_DIGIT drawings, the not-digits, pairs, letters and signs are all
    taught as NOT_A_DIGIT."""
    table = targets(outputs)
    views, y_train, n = data.views, data.y_train, len(data.y_train)
    picked = rng.integers(0, len(views), size=n)
    x, y = _jitter(views[picked, np.arange(n)], rng, config.shift), y_train
    if data.extra_train:
        idx = rng.integers(0, len(data.extra_train[1]), size=int(config.extra_share * n))
        x, y = np.concatenate([x, _jitter(data.extra_train[0][idx], rng, config.shift)]), np.concatenate([y, data.extra_train[1][idx]])
    fonts = data.fonts
    if fonts is not None:  # digits drawn from fonts, `font_share` of the epoch
        idx = rng.integers(0, len(fonts.y), size=int(config.font_share * n))
        x, y = np.concatenate([x, _jitter(fonts.x[idx], rng, config.shift)]), np.concatenate([y, fonts.y[idx]])
    wanted = table[y]
    if data.teacher is not None:  # MNIST's digits: the label mixed with the teacher's answer for the view
        said = np.zeros((n, outputs), np.float32)
        said[:, :NUM_CLASSES] = data.teacher[picked, np.arange(n)]
        wanted[:n] = (1 - config.teacher_share) * wanted[:n] + config.teacher_share * said / said.sum(axis=1, keepdims=True)
    others = [data.junk[rng.integers(0, len(data.junk), size=int(config.junk_share * n))]] if len(data.junk) else []
    if len(data.pairs):  # two touching digits: not one digit
        others.append(data.pairs[rng.integers(0, len(data.pairs), size=int(config.pair_share * n))])
    if fonts is not None and len(fonts.letters):  # letters and signs: not a digit either
        others.append(fonts.letters[rng.integers(0, len(fonts.letters), size=int(config.letter_share * n))])
    if others:
        others = np.concatenate(others)
        x = np.concatenate([x, _jitter(others, rng, config.shift)])
        wanted = np.concatenate([wanted, np.repeat(table[NOT_A_DIGIT][None], len(others), axis=0)])
    weight = np.ones(len(x), np.float32)
    weight[:n] = config.mnist_weight
    order = rng.permutation(len(x))
    return x[order], wanted[order], weight[order] / weight.mean()


def _jitter(x: np.ndarray, rng: np.random.Generator, shift: int) -> np.ndarray:
    """Shift each image by -shift..shift pixels in x and y (the digits have a 4-pixel margin)."""
    out = np.empty_like(x)
    shifts = rng.integers(-shift, shift + 1, size=(len(x), 2))
    for dy in range(-shift, shift + 1):
        for dx in range(-shift, shift + 1):
            sel = (shifts[:, 0] == dy) & (shifts[:, 1] == dx)
            out[sel] = np.roll(x[sel], (dy, dx), axis=(1, 2))
    return out
