"""The `digits` command, installed with the project (`pip install -e .`), usable from any folder.

    $ digits predict seven.png scribble.png     # = python -m app.predict, same options and output
    $ digits predict --json - < seven.png       # `-`: the picture on standard input
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from app import predict

COMMANDS = {"predict": "read the handwritten digit in picture files (see `digits predict --help`)"}
USAGE = "usage: digits COMMAND [ARGS...]\n\ncommands:\n" + "".join(
    f"  {name:<10} {what}\n" for name, what in COMMANDS.items()
)


def main(argv: Sequence[str] | None = None) -> None:
    """Run `digits` with `argv` (default sys.argv[1:]) and exit with its code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["predict"]:
        predict.run(argv[1:], prog="digits predict")
    if argv[:1] in (["-h"], ["--help"]):
        print(USAGE, end="")
        sys.exit(0)
    problem = f"unknown command {argv[0]!r}" if argv else "no command given"
    print(f"{USAGE}\ndigits: error: {problem}", file=sys.stderr)
    sys.exit(2)
