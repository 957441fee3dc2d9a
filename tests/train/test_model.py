"""The CNN's shape and size."""

import numpy as np

from train.model import build_model


def test_shapes():
    model = build_model()
    assert model.input_shape == (None, 28, 28, 1)
    assert model.output_shape == (None, 10)
    probs = model.predict(np.zeros((3, 28, 28, 1), np.float32), verbose=0)
    assert probs.shape == (3, 10)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_small_enough_for_a_1mb_onnx_file():
    assert build_model().count_params() * 4 < 1_000_000


def test_same_seed_same_weights():
    a, b = build_model(seed=3), build_model(seed=3)
    assert all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights()))
