"""The operator's commands for the drawing store (`python -m app.dataset ...`).

    $ python -m app.dataset review              # pending drawings: file, label, read as, session
    $ python -m app.dataset approve FILE...     # approve some for training (or --all pending)
    $ python -m app.dataset export out.zip      # a ZIP of the approved ones (--all: every one)
    $ python -m app.dataset check [--repair]    # bad index lines, orphan PNGs, stale temp files

`--data-dir` (default $DIGITS_DATA_DIR) names the store. `check` exits 1 when it found a
problem that `--repair` would fix (orphans, temp files) or that needs a person (bad lines).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from app import store_index as index
from app.dataset import DrawingStore, Limits
from app.store_export import EXPORT_PREFIX, write_zip

GRACE_SECONDS = 60  # a PNG or temp file younger than this may belong to a save in progress
EXPORT_GRACE_SECONDS = 3600  # a download may read its temporary ZIP for a while


@dataclass
class Report:
    """What `check` found: bad index lines, orphan PNGs (no line), stale temporary files."""

    bad_lines: list[tuple[int, str]] = field(default_factory=list)
    orphans: list[Path] = field(default_factory=list)
    temps: list[Path] = field(default_factory=list)
    repaired: bool = False

    @property
    def clean(self) -> bool:
        return not (self.bad_lines or self.orphans or self.temps)


def check(store: DrawingStore, repair: bool = False, now: float | None = None) -> Report:
    """Look the store over; with `repair`, remove orphan PNGs and stale temporary files (bad
    index lines are left in place: they are already skipped, and the index is append-only)."""
    now = time.time() if now is None else now
    report = Report()
    if not store.root.is_dir():
        return report
    # Under the index's lock no save is half-way (a save holds it from PNG to line).
    with index.locked(store.index_path, exclusive=True) as fd:
        data = index.read_all(fd)
        referenced = set()
        for number, _raw, entry, problem in index.lines(data):
            if problem is not None:
                report.bad_lines.append((number, problem))
            elif "file" in entry:
                referenced.add(entry["file"])
        live = set(store._state(fd).live)
        folders = [*store.root.glob("[0-9]"), store.root / index.NOT_A_DIGIT_FOLDER]
        for path in sorted(p for folder in folders if folder.is_dir() for p in folder.iterdir()):
            relative = path.relative_to(store.root).as_posix()
            old = now - path.stat().st_mtime > GRACE_SECONDS
            if path.name.endswith(".tmp"):
                if old:
                    report.temps.append(path)
            elif index.FILE_PATTERN.fullmatch(relative) and relative not in live and old:
                report.orphans.append(path)
        for path in sorted(store.root.glob(f"{EXPORT_PREFIX}*")) + sorted(store.root.glob(".zip-*.tmp")):
            if now - path.stat().st_mtime > EXPORT_GRACE_SECONDS:
                report.temps.append(path)
        if repair:
            for path in report.orphans + report.temps:
                path.unlink(missing_ok=True)
            report.repaired = True
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.dataset", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="the store (default $DIGITS_DATA_DIR)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("review", help="list the drawings waiting for approval")
    approve = commands.add_parser("approve", help="approve drawings for training")
    approve.add_argument("files", nargs="*", help="drawings as listed by review (7/2026...png)")
    approve.add_argument("--all", action="store_true", help="every pending drawing")
    export = commands.add_parser("export", help="write a ZIP of the store")
    export.add_argument("output", type=Path)
    export.add_argument("--all", action="store_true", help="pending drawings too, not only approved ones")
    repair = commands.add_parser("check", help="report (and --repair) what an interrupted save left")
    repair.add_argument("--repair", action="store_true", help="remove orphan PNGs and stale temp files")
    args = parser.parse_args(argv)

    store = DrawingStore(args.data_dir, Limits())
    if args.command == "review":
        pending = store.examples(status="pending")
        for example in pending:
            read = "" if example.predicted is None else f"read as {example.predicted}"
            print(f"{example.file}\t{example.number or example.label}\t{read}\t{example.session or '-'}")
        print(f"{len(pending)} pending; approve with: python -m app.dataset approve FILE... (or --all)", file=sys.stderr)
        return 0
    if args.command == "approve":
        if bool(args.files) == args.all:
            parser.error("approve takes drawings' files or --all, not both or neither")
        try:
            approved = store.approve(None if args.all else args.files)
        except ValueError as exc:
            parser.error(str(exc))
        print(f"approved {approved} drawing{'s' if approved != 1 else ''}")
        return 0
    if args.command == "export":
        count = write_zip(store, args.output, status=None if args.all else "approved")
        print(f"wrote {count} drawings to {args.output}")
        return 0
    report = check(store, repair=args.repair)
    for number, problem in report.bad_lines:
        print(f"index line {number}: {problem} (skipped when read)")
    verb = "removed" if report.repaired else "found"
    for path in report.orphans:
        print(f"{verb} orphan {path.relative_to(store.root)} (a PNG without an index line)")
    for path in report.temps:
        print(f"{verb} stale temporary file {path.relative_to(store.root)}")
    if report.clean:
        print("the store is consistent")
    fixable_left = (report.orphans or report.temps) and not report.repaired
    return 1 if report.bad_lines or fixable_left else 0
