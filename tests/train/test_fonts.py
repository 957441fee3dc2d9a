"""Training fonts: the pin list, the integrity check and its refusals, and a cache that needs no network."""

import io
import json
import os
import stat
import tarfile

import pytest
from PIL import ImageFont

from train.data import DEFAULT_CACHE
from train.fonts import FontError, Pin, extract, fetch, integrity, read_lock, training_fonts

HELD_OUT_DESIGNS = ("comic-neue", "dancing-script", "kaushan-script", "humor-sans", "liberation", "dejavu", "arimo", "tinos", "cousine")


def _tarball(family: str, files=("latin-400-normal.woff2",), content: bytes = b"not really a font") -> bytes:
    """A package tarball laid out as @fontsource's: package/files/<family>-<subset>-<weight>-<style>.<ext>."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in files:
            info = tarfile.TarInfo(f"package/files/{family}-{name}")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def _fake_npm(tmp_path, tarball: bytes | None, name: str, stderr: str = "") -> str:
    """An `npm` that 'packs' the given bytes into --pack-destination, or fails like npm on a 404."""
    payload = tmp_path / "payload.tgz"
    if tarball is not None:
        payload.write_bytes(tarball)
    script = tmp_path / "npm"
    if tarball is None:
        script.write_text(f"#!/bin/sh\necho '{stderr}' >&2\nexit 1\n")
    else:
        script.write_text(f'#!/bin/sh\nwhile [ "$1" != "--pack-destination" ]; do shift; done\ncp {payload} "$2/{name}"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def _lock(tmp_path, rows) -> os.PathLike:
    path = tmp_path / "fonts.lock.json"
    path.write_text(json.dumps({"packages": rows}))
    return path


def test_committed_lock_pins_sixty_families_mostly_handwriting():
    pins = read_lock()
    kinds = [p.kind for p in pins]
    assert len(pins) >= 60
    assert kinds.count("handwriting") > len(pins) / 2
    assert {"sans", "serif", "mono"} <= set(kinds)
    assert all(p.name.startswith("@fontsource/") and p.integrity.startswith("sha512-") for p in pins)
    # Never a design the held-out benchmark measures with (bench/heldout.py).
    assert not [p.name for p in pins if any(d in p.name for d in HELD_OUT_DESIGNS)]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"name": "@fontsource/caveat", "version": "5.3.0", "style": "handwriting"}], "needs name, version, integrity"),
        ([{"name": "caveat", "version": "5.3.0", "integrity": "sha512-x", "style": "handwriting"}], "expected @fontsource/NAME"),
        ([{"name": "@fontsource/caveat", "version": "5.3.0", "integrity": "md5-x", "style": "handwriting"}], "expected sha512-"),
        ([{"name": "@fontsource/caveat", "version": "5.3.0", "integrity": "sha512-x", "style": "gothic"}], "expected one of"),
        ([{"name": "@fontsource/caveat", "version": "5.3.0", "integrity": "sha512-x", "style": "handwriting"}] * 2, "listed twice"),
    ],
)
def test_read_lock_fail(tmp_path, rows, message):
    with pytest.raises(FontError, match=message):
        read_lock(_lock(tmp_path, rows))


def test_read_lock_fail_not_json(tmp_path):
    path = tmp_path / "fonts.lock.json"
    path.write_text("{packages: nope")
    with pytest.raises(FontError, match="not a font lock file"):
        read_lock(path)


def test_integrity_is_npm_sri_format():
    # npm's dist.integrity of an empty tarball would be the sha512 of b"" in base64.
    assert integrity(b"") == "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="


def test_fetch_checks_the_tarball(tmp_path):
    data = _tarball("caveat")
    pin = Pin("@fontsource/caveat", "5.3.0", integrity(data), "handwriting")
    path = fetch(pin, tmp_path / "cache", npm=_fake_npm(tmp_path, data, pin.tarball))
    assert path.read_bytes() == data and path.parent.name == "fonts"


def test_fetch_fail_wrong_hash(tmp_path):
    expected = integrity(b"the real package")
    pin = Pin("@fontsource/caveat", "5.3.0", expected, "handwriting")
    crafted = _tarball("caveat", content=b"something else")
    with pytest.raises(FontError) as failure:
        fetch(pin, tmp_path / "cache", npm=_fake_npm(tmp_path, crafted, pin.tarball))
    message = str(failure.value)
    assert "@fontsource/caveat@5.3.0" in message and expected in message and integrity(crafted) in message
    assert not (tmp_path / "cache" / "fonts" / pin.tarball).exists()  # the crafted tarball is not kept


def test_fetch_fail_missing_package(tmp_path):
    pin = Pin("@fontsource/no-such-family", "9.9.9", integrity(b"x"), "handwriting")
    npm = _fake_npm(tmp_path, None, pin.tarball, stderr="npm error code E404 404 Not Found - GET https://registry.npmjs.org/@fontsource%2fno-such-family")
    with pytest.raises(FontError, match=r"@fontsource/no-such-family@9\.9\.9: npm could not fetch the package \(.*E404"):
        fetch(pin, tmp_path / "cache", npm=npm)


def test_fetch_fail_no_npm(tmp_path):
    pin = Pin("@fontsource/caveat", "5.3.0", integrity(b"x"), "handwriting")
    with pytest.raises(FontError, match="cannot run"):
        fetch(pin, tmp_path / "cache", npm=str(tmp_path / "no-npm-here"))


def test_cached_fonts_need_no_network(tmp_path):
    data = _tarball("caveat", files=("latin-400-normal.woff2", "latin-400-normal.woff", "latin-400-italic.woff", "latin-700-normal.woff2"))
    cache = tmp_path / "cache"
    (cache / "fonts").mkdir(parents=True)
    lock = _lock(tmp_path, [{"name": "@fontsource/caveat", "version": "5.3.0", "integrity": integrity(data), "style": "handwriting"}])
    (cache / "fonts" / "fontsource-caveat-5.3.0.tgz").write_bytes(data)
    files = training_fonts(cache, lock, npm=str(tmp_path / "no-npm-here"))  # npm would fail: never called
    assert [(f.style, f.path.name) for f in files] == [("normal", "caveat-latin-400-normal.woff2"), ("italic", "caveat-latin-400-italic.woff")]
    assert training_fonts(cache, lock, npm=str(tmp_path / "no-npm-here")) == files


def _fake_registry_npm(tmp_path, packages: dict[str, bytes]) -> str:
    """An `npm` that packs any of `packages` (tarball name -> bytes) and fails like a 404 on the rest."""
    registry = tmp_path / "registry"
    registry.mkdir()
    for name, data in packages.items():
        (registry / name).write_bytes(data)
    script = tmp_path / "npm"
    script.write_text(
        "#!/bin/sh\n"
        'name=$(echo "$2" | sed -e "s/^@//" -e "s/[/@]/-/g").tgz\n'
        'while [ "$1" != "--pack-destination" ]; do shift; done\n'
        f'[ -f {registry}/$name ] || {{ echo "npm error code E404 404 Not Found" >&2; exit 1; }}\n'
        f'cp {registry}/$name "$2/$name"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_training_fonts_fetches_what_is_not_cached_and_keeps_the_lock_order(tmp_path):
    families = ("caveat", "kalam", "handlee", "gloria-hallelujah", "schoolbell")
    data = {f: _tarball(f, content=f.encode()) for f in families}
    rows = [{"name": f"@fontsource/{f}", "version": "5.3.0", "integrity": integrity(data[f]), "style": "handwriting"} for f in families]
    cache = tmp_path / "cache"
    (cache / "fonts").mkdir(parents=True)
    (cache / "fonts" / "fontsource-kalam-5.3.0.tgz").write_bytes(data["kalam"])  # one already cached
    npm = _fake_registry_npm(tmp_path, {f"fontsource-{f}-5.3.0.tgz": data[f] for f in families if f != "kalam"})
    files = training_fonts(cache, _lock(tmp_path, rows), npm=npm)
    assert [f.family for f in files] == list(families)
    assert [f.path.read_bytes() for f in files] == [f.encode() for f in families]


def test_training_fonts_fail_names_the_package_npm_cannot_fetch(tmp_path):
    families = ("caveat", "kalam", "handlee")
    data = {f: _tarball(f) for f in families}
    rows = [{"name": f"@fontsource/{f}", "version": "5.3.0", "integrity": integrity(data[f]), "style": "handwriting"} for f in families]
    npm = _fake_registry_npm(tmp_path, {f"fontsource-{f}-5.3.0.tgz": data[f] for f in families if f != "kalam"})
    with pytest.raises(FontError, match=r"@fontsource/kalam@5\.3\.0: npm could not fetch the package \(.*E404"):
        training_fonts(tmp_path / "cache", _lock(tmp_path, rows), npm=npm)


def test_extract_fail_no_latin_regular(tmp_path):
    data = _tarball("caveat", files=("latin-700-normal.woff2",))
    (tmp_path / "p.tgz").write_bytes(data)
    with pytest.raises(FontError, match="no files/caveat-latin-400-normal"):
        extract(Pin("@fontsource/caveat", "5.3.0", integrity(data), "handwriting"), tmp_path / "p.tgz", tmp_path / "out")


@pytest.mark.skipif(not (DEFAULT_CACHE / "fonts" / "files").is_dir(), reason="training fonts not fetched yet (python -m train.fonts)")
def test_pillow_reads_every_training_font():
    files = training_fonts()
    assert len({f.family for f in files}) == len(read_lock())
    for f in files:
        font = ImageFont.truetype(str(f.path), 64)
        assert font.getbbox("7")[2] > 0, f.path
