"""The digit CNN: five 3x3 convolutions in three resolutions and a dense softmax head.

No batch normalisation: on this 2-core CPU it costs more time per epoch than it buys in
accuracy, and without it the exported graph is plain Conv/Relu/MaxPool/Gemm, which
onnxruntime runs in a fraction of a millisecond and quantizes cleanly. About 140k parameters,
so the fp32 ONNX file stays well under 1 MB.

    >>> build_model().summary()
"""

from __future__ import annotations

import keras
from keras import layers

IMAGE_SHAPE = (28, 28, 1)
NUM_CLASSES = 10


def build_model(seed: int = 0) -> keras.Model:
    """An uncompiled Keras model: (N, 28, 28, 1) float32 in 0..1 -> (N, 10) probabilities."""
    seeds = iter(range(seed * 100, seed * 100 + 100))  # a seeded initializer repeats its values

    def conv(x, filters):
        init = keras.initializers.HeNormal(seed=next(seeds))
        return layers.Conv2D(filters, 3, padding="same", activation="relu", kernel_initializer=init)(x)

    image = keras.Input(IMAGE_SHAPE, name="image")
    x = conv(image, 24)
    x = layers.MaxPooling2D()(x)  # 14x14
    x = conv(x, 32)
    x = conv(x, 32)
    x = layers.MaxPooling2D()(x)  # 7x7
    x = conv(x, 64)
    x = conv(x, 96)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.4, seed=seed)(x)
    probabilities = layers.Dense(
        NUM_CLASSES, activation="softmax", kernel_initializer=keras.initializers.GlorotUniform(seed=next(seeds)),
        name="probabilities",
    )(x)
    return keras.Model(image, probabilities, name="digit_cnn")
