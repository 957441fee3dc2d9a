"""One epoch's examples, checked for how they are taught: shared by tests/train."""

import numpy as np


def inked_taught_as_not_a_digit(data, config) -> int:
    """How many of an epoch's examples have ink, after checking, for members with eleven
    outputs and with ten, that those are all taught as "not a digit" (the eleventh output, or
    all ten alike) and the blank ones as a digit."""
    from train.epoch import epoch_examples

    counts = set()
    for outputs in (11, 10):
        x, wanted, _ = epoch_examples(data, config, np.random.default_rng(0), outputs)
        drawn = x.reshape(len(x), -1).max(axis=1) > 0
        assert wanted.shape == (len(x), outputs)
        assert np.allclose(wanted[drawn], np.eye(11)[10] if outputs == 11 else 0.1)
        assert np.allclose(wanted[~drawn].max(axis=1), 1.0) and not wanted[~drawn, 10:].any()
        counts.add(int(drawn.sum()))
    assert len(counts) == 1
    return counts.pop()
