"""The CNN's shape and size."""

import numpy as np

from train.model import MEMBERS, build_model, member_heads


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


def test_members_start_different_and_the_model_is_their_softmaxed_mean_logits():
    model = build_model(seed=0)
    heads = member_heads(model)
    x = np.random.default_rng(0).random((4, 28, 28, 1)).astype(np.float32)
    outs = heads.predict([x] * MEMBERS, verbose=0)
    assert len(outs) == MEMBERS >= 2
    assert not np.allclose(outs[0], outs[1])
    logits = np.mean([np.log(p) for p in outs], axis=0)  # log-softmax differs from logits by a per-row constant
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert np.allclose(model.predict(x, verbose=0), expected, atol=1e-5)


def test_member_heads_share_the_models_weights():
    model = build_model(seed=0)
    assert {id(v) for v in member_heads(model).trainable_variables} == {id(v) for v in model.trainable_variables}
