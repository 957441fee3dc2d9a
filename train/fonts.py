"""Font files for training: pinned @fontsource packages fetched with `npm pack`, checked, cached.

`train/fonts.lock.json` lists every package as name, version and npm's `dist.integrity`
(sha512, base64, SRI format). `training_fonts()` makes sure each tarball is in
`.cache/fonts/` with that hash (fetching it with `npm pack NAME@VERSION` if not), and extracts
its latin subset at weight 400, normal and, where the family has one, italic. Once the
tarballs are cached nothing touches the network.

    $ python -m train.fonts            # fetch, verify, extract; prints one line per package
    >>> files = training_fonts()       # [FontFile(family="caveat", kind="handwriting", ...)]

A wrong hash or a package npm cannot find stops with a FontError naming the package, what was
expected and what was found.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from train.data import DEFAULT_CACHE

LOCK = Path(__file__).resolve().with_name("fonts.lock.json")
KINDS = ("handwriting", "sans", "serif", "mono")
STYLES = ("normal", "italic")
EXTENSIONS = (".woff2", ".woff")  # preferred first; Pillow (FreeType) reads both
FETCHES = 4  # `npm pack` runs at a time


class FontError(ValueError):
    """A pinned font package is missing, malformed or not what the lock file says."""


@dataclass(frozen=True)
class Pin:
    name: str  # "@fontsource/caveat"
    version: str
    integrity: str  # "sha512-<base64>"
    kind: str  # one of KINDS

    @property
    def family(self) -> str:
        return self.name.split("/", 1)[-1]

    @property
    def tarball(self) -> str:
        """The file name `npm pack` gives this package."""
        return f"{self.name.lstrip('@').replace('/', '-')}-{self.version}.tgz"


@dataclass(frozen=True)
class FontFile:
    family: str
    kind: str
    style: str  # "normal" or "italic"
    path: Path


def read_lock(path: Path = LOCK) -> list[Pin]:
    """The pinned packages in the lock file; FontError if it is malformed."""
    try:
        data = json.loads(Path(path).read_text())
        rows = data["packages"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FontError(f"{path}: not a font lock file ({exc})") from None
    pins = []
    for i, row in enumerate(rows):
        try:
            pin = Pin(row["name"], row["version"], row["integrity"], row["style"])
        except (KeyError, TypeError):
            raise FontError(f"{path}: package {i} needs name, version, integrity and style, got {row!r}") from None
        if not pin.name.startswith("@fontsource/") or not pin.version:
            raise FontError(f"{path}: package {i} is {pin.name!r}@{pin.version!r}, expected @fontsource/NAME and a version")
        if not pin.integrity.startswith("sha512-"):
            raise FontError(f"{path}: {pin.name}@{pin.version} has integrity {pin.integrity!r}, expected sha512-<base64>")
        if pin.kind not in KINDS:
            raise FontError(f"{path}: {pin.name} has style {pin.kind!r}, expected one of {', '.join(KINDS)}")
        pins.append(pin)
    if len({p.name for p in pins}) != len(pins):
        raise FontError(f"{path}: a package is listed twice")
    return pins


def lock_hash(path: Path = LOCK) -> str:
    """sha256 of the lock file: what the training-views cache key includes for the fonts."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def integrity(data: bytes) -> str:
    """npm's `dist.integrity` of a tarball: "sha512-" + base64 of its sha512."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def fetch(pin: Pin, cache_dir: Path = DEFAULT_CACHE, npm: str = "npm") -> Path:
    """The package's tarball in cache_dir/fonts, checked against its pin; fetched with
    `npm pack` only when no cached copy has the right hash."""
    folder = Path(cache_dir) / "fonts"
    path = folder / pin.tarball
    if path.exists() and integrity(path.read_bytes()) == pin.integrity:
        return path
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".pack-") as tmp:
        try:
            done = subprocess.run(
                [npm, "pack", f"{pin.name}@{pin.version}", "--pack-destination", tmp, "--silent"],
                capture_output=True, text=True, timeout=300,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise FontError(f"{pin.name}@{pin.version}: cannot run `{npm} pack` ({exc}); is npm installed?") from None
        got = Path(tmp) / pin.tarball
        if done.returncode != 0 or not got.exists():
            said = (done.stderr or done.stdout).strip().splitlines()
            reason = next((line for line in said if "404" in line or "ERR" in line), said[0] if said else "no output")
            raise FontError(f"{pin.name}@{pin.version}: npm could not fetch the package ({reason.strip()})")
        found = integrity(got.read_bytes())
        if found != pin.integrity:
            raise FontError(f"{pin.name}@{pin.version}: tarball integrity {found}, expected {pin.integrity} (from {LOCK.name}); not used")
        os.replace(got, path)
    return path


def extract(pin: Pin, tarball: Path, out_dir: Path) -> list[FontFile]:
    """The latin, weight-400 normal (and italic, if present) font of the package, copied out
    of its (already verified) tarball into out_dir; FontError if it has no normal one."""
    out_dir.mkdir(parents=True, exist_ok=True)
    found = []
    with tarfile.open(tarball, "r:gz") as tar:
        names = set(tar.getnames())
        for style in STYLES:
            for ext in EXTENSIONS:
                member = f"package/files/{pin.family}-latin-400-{style}{ext}"
                if member in names:
                    target = out_dir / Path(member).name
                    if not target.exists():  # via a temporary name, so a reader never sees half a file
                        fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{target.name}-")
                        with tar.extractfile(member) as src, os.fdopen(fd, "wb") as dst:
                            shutil.copyfileobj(src, dst)
                        os.replace(tmp, target)
                    found.append(FontFile(pin.family, pin.kind, style, target))
                    break
    if not any(f.style == "normal" for f in found):
        raise FontError(f"{pin.name}@{pin.version}: no files/{pin.family}-latin-400-normal.woff2 or .woff in {tarball.name}")
    return found


def training_fonts(cache_dir: Path = DEFAULT_CACHE, lock: Path = LOCK, npm: str = "npm") -> list[FontFile]:
    """Every training font file of the lock, fetched and checked as needed, in lock order."""
    out_dir = Path(cache_dir) / "fonts" / "files"
    pins = read_lock(lock)
    with ThreadPoolExecutor(FETCHES) as pool:  # npm's start-up, not the network, is most of a fetch
        tarballs = list(pool.map(lambda pin: fetch(pin, cache_dir, npm), pins))  # the first failure in lock order is raised
    return [f for pin, tarball in zip(pins, tarballs) for f in extract(pin, tarball, out_dir)]


def main() -> int:
    try:
        files = training_fonts()
    except FontError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for f in files:
        print(f"{f.kind:12} {f.family:28} {f.style:7} {f.path.name}")
    families = {f.family for f in files}
    print(f"{len(families)} families, {len(files)} files in {Path(DEFAULT_CACHE) / 'fonts'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
