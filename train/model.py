"""The digit CNN: three small CNNs in one model, their logits averaged (an ensemble in one file).

Each member has five 3x3 convolutions in three resolutions and a dense head, and starts from
its own random weights. Training (`member_heads`) gives each member its own input and softmax,
so each learns from its own stream of augmented views, shifts and order, and they make
different mistakes; the served model is one softmax over the members' mean logits, which fixes
many of each one's mistakes (see `member_test_accuracy` in models/report.json).

No batch normalisation: on this 2-core CPU it costs more time per epoch than it buys in
accuracy, and without it the exported graph is plain Conv/Relu/MaxPool/MatMul, which
onnxruntime runs in a fraction of a millisecond and quantizes cleanly. About 217k parameters
in all, so the fp32 ONNX file stays under 1 MB.

    >>> model = build_model()          # (N, 28, 28, 1) -> (N, 10) probabilities
    >>> heads = member_heads(model)    # [(N, 28, 28, 1)] * 3 -> [(N, 10)] * 3, for training
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from app.contract import INPUT_NAME, INPUT_SHAPE, NUM_CLASSES, OUTPUT_NAME
from train.config import FILTERS, check_filters

IMAGE_SHAPE = INPUT_SHAPE
MEMBERS = 3


def build_model(seed: int = 0, members: int = MEMBERS, not_digit_output: bool = False, filters: tuple[int, ...] = FILTERS) -> keras.Model:
    """An uncompiled Keras model: (N, 28, 28, 1) float32 in 0..1 -> (N, 10) probabilities.

    With `not_digit_output` each member has an eleventh output, "not a digit", and the model
    folds its share back into the ten as a tenth to each digit (a fixed matrix, `FOLD`): the
    contract's ten probabilities, all alike for what is not a digit, as if taught that way,
    while the digits' own outputs are free to tell apart the digits that letters resemble."""
    outputs = NUM_CLASSES + 1 if not_digit_output else NUM_CLASSES
    image = keras.Input(IMAGE_SHAPE, name=INPUT_NAME)
    filters = check_filters(filters)
    logits = [_member(seed, k, outputs, filters)(image) for k in range(members)]
    mean = layers.Average(name="mean_logits")(logits) if members > 1 else logits[0]
    if not not_digit_output:
        return keras.Model(image, layers.Activation("softmax", name=OUTPUT_NAME)(mean), name="digit_cnn")
    fold = layers.Dense(NUM_CLASSES, use_bias=False, trainable=False, kernel_initializer="zeros", name=OUTPUT_NAME)
    model = keras.Model(image, fold(layers.Activation("softmax", name="softmax")(mean)), name="digit_cnn")
    fold.set_weights([FOLD])
    return model


# (11, 10): each digit's probability is its own plus a tenth of "not a digit"'s.
FOLD = np.vstack([np.eye(NUM_CLASSES), np.full((1, NUM_CLASSES), 1 / NUM_CLASSES)]).astype(np.float32)


def member_heads(model: keras.Model) -> keras.Model:
    """The members with one input and one softmax output each: what training fits, so that
    each member can be shown its own augmented view of every digit."""
    members = [layer for layer in model.layers if layer.name.startswith("member_")]
    if not members:
        raise ValueError(f"model {model.name!r} has no member_* parts: not built by train.model.build_model")
    inputs = [keras.Input(IMAGE_SHAPE, name=f"image_{k}") for k in range(len(members))]
    heads = [layers.Activation("softmax", name=f"head_{k}")(m(x)) for k, (m, x) in enumerate(zip(members, inputs))]
    return keras.Model(inputs, heads, name="digit_cnn_members")


def answers(model: keras.Model, inputs, batch_size: int = 1000) -> np.ndarray | list[np.ndarray]:
    """`model`'s outputs for NumPy `inputs` (one array, or a tuple for several inputs), called
    on `batch_size` rows at a time: what `model.predict` gives, without the tf.data pipeline it
    builds, whose autotuning now and then stalls at its end for half a minute (as `fit`'s did)."""
    several = isinstance(inputs, (tuple, list))
    n = len(inputs[0]) if several else len(inputs)
    if n == 0:  # a convolution refuses an empty batch: no rows, no answers, in the outputs' shapes
        empty = [np.zeros((0, *o.shape[1:]), np.float32) for o in model.outputs]
        return empty if len(empty) > 1 else empty[0]
    parts = []
    for start in range(0, n, batch_size):
        rows = [a[start : start + batch_size] for a in inputs] if several else inputs[start : start + batch_size]
        out = model(rows, training=False)
        parts.append([np.asarray(o) for o in out] if isinstance(out, (list, tuple)) else np.asarray(out))
    if isinstance(parts[0], list):
        return [np.concatenate(column) for column in zip(*parts)]
    return np.concatenate(parts)


def member_outputs(model: keras.Model) -> int:
    """How many outputs each member has: 10, or 11 with the "not a digit" output."""
    return int(next(layer for layer in model.layers if layer.name.startswith("member_")).output.shape[-1])


def _member(seed: int, k: int, outputs: int = NUM_CLASSES, filters: tuple[int, ...] = FILTERS) -> keras.Model:
    seeds = iter(range(seed * 1000 + k * 100, seed * 1000 + k * 100 + 100))  # a seeded initializer repeats its values

    def conv(x, n):
        init = keras.initializers.HeNormal(seed=next(seeds))
        return layers.Conv2D(n, 3, padding="same", activation="relu", kernel_initializer=init)(x)

    image = keras.Input(IMAGE_SHAPE)
    x = conv(image, filters[0])
    x = layers.MaxPooling2D()(x)  # 14x14
    x = conv(x, filters[1])
    x = conv(x, filters[2])
    x = layers.MaxPooling2D()(x)  # 7x7
    x = conv(x, filters[3])
    x = conv(x, filters[4])
    x = layers.Flatten()(x)
    x = layers.Dropout(0.4, seed=seed * 1000 + k)(x)
    logits = layers.Dense(outputs, kernel_initializer=keras.initializers.GlorotUniform(seed=next(seeds)))(x)
    return keras.Model(image, logits, name=f"member_{k}")
