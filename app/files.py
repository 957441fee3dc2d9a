"""Writing a file so that it is either whole or absent, whoever reads it meanwhile.

    >>> atomic_write(Path("models/digit_cnn.onnx"), lambda tmp: tmp.write_bytes(data))
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write(path: Path, write: Callable[[Path], object], suffix: str = ".tmp") -> None:
    """Call `write(tmp)` for a temporary file beside `path`, flush it to disk, make it readable
    by all (0644) and rename it over `path`; on any failure the temporary file is removed and
    `path` is untouched. `suffix` is the temporary name's ending, for writers that need one
    (Keras wants `.keras`, NumPy adds `.npy` unless it is there)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
