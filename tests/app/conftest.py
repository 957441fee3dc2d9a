from pathlib import Path

import numpy as np
import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(scope="session")
def mnist_digits():
    """500 MNIST test digits (uint8 28x28, white on black) and their labels."""
    with np.load(FIXTURES / "mnist_test_500.npz") as z:
        return z["x"], z["y"]
