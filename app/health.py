"""Readiness: is this replica able to serve? A model that loads and passes its contract check,
and a drawings folder it can write to. For Kubernetes' exec readiness probe (deploy/k8s.yaml);
liveness stays on Streamlit's cheap `/_stcore/health`.

    $ python -m app.health           # exit 0: "ready: model 2026.11.25 (fp32), /data writable"
                                     # exit 1: "not ready: ..." with what to fix

$DIGITS_MODEL and $DIGITS_DATA_DIR are read as the page reads them.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from app.contract import DATA_ENV, data_dir, model_paths


def problems(environ: Mapping[str, str] | None = None) -> tuple[list[str], list[str]]:
    """(what is wrong, what is fine): an empty first list means ready."""
    wrong, fine = [], []
    path = model_paths(environ)["fp32"]
    try:
        from app.recognizer import Recognizer

        recognizer = Recognizer.load(path)
        fine.append(f"model {recognizer.card.get('version') or 'of unknown version'} ({path.name})")
    except Exception as exc:  # any reason the page could not serve it
        wrong.append(f"no model loads from {path}: {str(exc).rstrip('.')}")
    folder = data_dir(environ)
    problem = _unwritable(folder)
    if problem:
        wrong.append(f"the drawings folder {folder} is not writable ({problem}); set {DATA_ENV} to a writable folder")
    else:
        fine.append(f"{folder} writable")
    return wrong, fine


def _unwritable(folder: Path) -> str | None:
    """Why a file cannot be created and removed in `folder`, or None."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".health-", suffix=".tmp", dir=folder)
        os.close(fd)
        os.remove(name)
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def main() -> int:
    wrong, fine = problems()
    if wrong:
        print("not ready: " + "; ".join(wrong), file=sys.stderr)
        return 1
    print("ready: " + ", ".join(fine))
    return 0


if __name__ == "__main__":
    sys.exit(main())
