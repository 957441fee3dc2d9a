"""One saved drawing as the store's index records it, and the index read so far.

Used by app/dataset.py; `Example` is re-exported there.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path


@dataclass(frozen=True)
class Example:
    """One saved drawing as recorded in the index; `path` is where its PNG lives. A whole
    number has `number` (its string; `label` None, `predicted` the number as read, "20?6"); a
    digit cut from one names it in `part_of`."""

    file: str  # relative, forward slashes: "7/20261125T093012.123456Z-ab12cd34ef56.png"
    label: int | None
    predicted: int | str | None
    confidence: float | None
    model_version: str | None
    time: str  # ISO 8601 UTC, e.g. "2026-11-25T09:30:12.123456Z"
    root: Path = field(repr=False)
    session: str | None = None  # the browser session that saved it; None from the command line
    status: str = "pending"  # "pending" until the operator approves it, then "approved"
    size: int = field(default=0, compare=False, repr=False)  # bytes of its PNG
    number: str | None = None  # a whole number's string: "2046"
    part_of: str | None = None  # a digit of a whole number: that number's file

    @property
    def path(self) -> Path:
        return self.root / self.file


class IndexState:
    """What the index says so far, read up to `offset`; updated line by line."""

    def __init__(self, inode: int) -> None:
        self.inode, self.offset, self.lines = inode, 0, 0
        self.live: dict[str, Example] = {}
        self.saves: dict[str, int] = {}  # saves ever made by each session (deleting gives none back)
        self.last: dict[str, str] = {}  # each session's latest save time

    def apply(self, entry: dict, root: Path) -> None:
        if "deleted" in entry:
            self.live.pop(entry["deleted"], None)
        elif "approved" in entry:
            if entry["approved"] in self.live:
                self.live[entry["approved"]] = replace(self.live[entry["approved"]], status="approved")
        else:
            example = example_of(entry, root)
            self.live[example.file] = example
            if example.session is not None:
                self.saves[example.session] = self.saves.get(example.session, 0) + 1
                self.last[example.session] = example.time

    def used(self, index_size: int) -> int:
        return index_size + sum(example.size for example in self.live.values())


def example_of(entry: dict, root: Path) -> Example:
    """The Example of a save line that store_index has checked."""
    file = entry["file"]
    size = entry.get("bytes")
    if size is None:  # a line from before sizes were recorded
        try:
            size = (root / file).stat().st_size
        except OSError:
            size = 0
    confidence = entry.get("confidence")
    return Example(
        file, entry.get("label"), entry.get("predicted"), None if confidence is None else float(confidence),
        entry.get("model_version"), entry["time"], root, entry.get("session"),
        entry.get("status", "pending"), size, entry.get("number"), entry.get("part_of"),
    )


def record_of(example: Example) -> dict:
    """The index line of `example`; a number's has `number` instead of `label`, a digit cut
    from a number has `part_of`."""
    record = {
        "file": example.file,
        **({"number": example.number} if example.number is not None else {"label": example.label}),
        "predicted": example.predicted,
        "confidence": example.confidence,
        "model_version": example.model_version,
        "time": example.time,
        "session": example.session,
        "status": example.status,
        "bytes": example.size,
    }
    if example.part_of is not None:
        record["part_of"] = example.part_of
    return record
