"""The CNN's shape and size."""

import numpy as np
import pytest

from app.contract import NUM_CLASSES
from train.config import TrainConfig
from train.model import FILTERS, FOLD, MEMBERS, answers, build_model, member_heads, member_outputs


def test_shapes():
    model = build_model()
    assert model.input_shape == (None, 28, 28, 1)
    assert model.output_shape == (None, 10)
    probs = model.predict(np.zeros((3, 28, 28, 1), np.float32), verbose=0)
    assert probs.shape == (3, 10)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_small_enough_for_a_1mb_onnx_file():
    assert build_model().count_params() * 4 < 1_000_000


def test_wider_members_are_asked_for_by_their_filters():
    assert TrainConfig().filters == FILTERS
    wide = build_model(filters=(16, 32, 48, 64, 64))
    convs = [layer.filters for layer in wide.get_layer("member_0").layers if hasattr(layer, "filters")]
    assert convs == [16, 32, 48, 64, 64] and wide.count_params() > build_model().count_params()
    assert wide.output_shape == (None, 10)


@pytest.mark.parametrize("filters", [(16, 32, 32, 48), (16, 32, 0, 48, 48)])
def test_wider_members_are_asked_for_by_their_filters_fail(filters):
    with pytest.raises(ValueError, match="5 positive counts"):
        build_model(filters=filters)


def test_same_seed_same_weights():
    a, b = build_model(seed=3), build_model(seed=3)
    assert all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights()))


@pytest.mark.parametrize("not_digit_output", [True, False], ids=["eleven outputs, folded", "ten outputs"])
def test_members_start_different_and_the_model_is_their_softmaxed_mean_logits(not_digit_output):
    model = build_model(seed=0, not_digit_output=not_digit_output)
    heads = member_heads(model)
    x = np.random.default_rng(0).random((4, 28, 28, 1)).astype(np.float32)
    outs = heads.predict([x] * MEMBERS, verbose=0)
    assert len(outs) == MEMBERS >= 2 and member_outputs(model) == outs[0].shape[1] == NUM_CLASSES + not_digit_output
    assert not np.allclose(outs[0], outs[1])
    logits = np.mean([np.log(p) for p in outs], axis=0)  # log-softmax differs from logits by a per-row constant
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert np.allclose(model.predict(x, verbose=0), expected @ FOLD if not_digit_output else expected, atol=1e-5)


def test_answers_are_what_predict_gives_batch_by_batch_for_one_input_or_several():
    model = build_model(seed=0)
    x = np.random.default_rng(1).random((7, 28, 28, 1)).astype(np.float32)
    assert np.allclose(answers(model, x, batch_size=3), model.predict(x, verbose=0), atol=1e-6)
    heads = member_heads(model)
    outs = answers(heads, (x,) * MEMBERS, batch_size=3)
    assert len(outs) == MEMBERS and all(np.allclose(a, b, atol=1e-6) for a, b in zip(outs, heads.predict([x] * MEMBERS, verbose=0)))
    assert answers(model, x[:0]).shape == (0, NUM_CLASSES)
    assert [a.shape for a in answers(heads, (x[:0],) * MEMBERS)] == [(0, NUM_CLASSES)] * MEMBERS


def test_not_a_digit_is_folded_into_the_ten_as_all_ten_alike():
    """The eleventh output's share goes a tenth to each digit: sure of "not a digit", the model
    answers all ten alike; sure of a 3, it answers 3; the ten always sum to 1."""
    sure_not, sure_three, half = np.eye(11)[10], np.eye(11)[3], np.full(11, 1 / 11)
    assert np.allclose(sure_not @ FOLD, 0.1) and np.allclose(sure_three @ FOLD, np.eye(10)[3])
    assert np.isclose((half @ FOLD).sum(), 1.0) and np.argmax(half @ FOLD) == 0


def test_the_fold_is_not_trained():
    model = build_model(seed=0, not_digit_output=True)
    assert FOLD.shape == (NUM_CLASSES + 1, NUM_CLASSES)
    assert np.array_equal(model.get_layer("probabilities").get_weights()[0], FOLD)
    assert all(v.trainable for v in member_heads(model).trainable_variables)
    assert len(model.non_trainable_weights) == 1


def test_member_heads_share_the_models_weights():
    model = build_model(seed=0)
    assert {id(v) for v in member_heads(model).trainable_variables} == {id(v) for v in model.trainable_variables}
