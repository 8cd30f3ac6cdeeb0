"""What the commands share: the exit code for bad input, reading an input file within bounds, refusing
paths that are not files, and checking that a cohort has columns for the fields a set reads.

Kept apart from :mod:`._main` so that a command module never imports the module that registers it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from ..errors import TrafficscreenError

EXIT_BAD_INPUT = 2


def read_bounded(path: str, limit: int, what: str = "input") -> tuple[bytes, str]:
    """The bytes of ``path`` (``-``: standard input) and the name to report it by; at most ``limit``
    bytes are accepted and at most ``limit + 1`` are ever read. A path that is not a regular file (a
    folder, a FIFO, a device such as /dev/zero) is refused before it is opened for reading, so the
    command neither waits on a pipe nor reads without end."""
    import os
    import stat

    from ..errors import JSONInputError, Location

    too_large = f"larger than {limit // 1024} KB"
    if path == "-":
        data = sys.stdin.buffer.read(limit + 1)
        if len(data) > limit:
            raise JSONInputError(too_large, Location("<stdin>"))
        return data, "<stdin>"
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise JSONInputError("no such file", Location(path)) from None
    except OSError as exc:
        raise JSONInputError(f"cannot read the {what} ({exc.strerror or type(exc).__name__})", Location(path)) from None
    if stat.S_ISDIR(info.st_mode):
        raise JSONInputError("is a directory, not a file", Location(path))
    if not stat.S_ISREG(info.st_mode):
        raise JSONInputError("not a regular file (a pipe, a device or a socket); give a file", Location(path))
    if info.st_size > limit:
        raise JSONInputError(too_large, Location(path))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)  # a file swapped for a FIFO must not block
    fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise JSONInputError("not a regular file (a pipe, a device or a socket); give a file", Location(path))
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise JSONInputError(too_large, Location(path))
    return data, path


def read_input(path: str) -> tuple[bytes, str]:
    """An encounter, result or QuestionnaireResponse file (``-``: standard input), within the encounter limit."""
    from ..model.encounter import MAX_ENCOUNTER_BYTES

    return read_bounded(path, MAX_ENCOUNTER_BYTES)


def check_regular_paths(paths: Sequence[str]) -> None:
    """Refuse a path that exists but is neither a regular file nor a folder (``validate /dev/zero``, a
    FIFO), before anything opens it."""
    import os
    import stat

    from ..errors import JSONInputError, Location

    for path in paths:
        try:
            mode = os.stat(path).st_mode
        except OSError:
            continue  # a missing path is reported by the command itself
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise JSONInputError(
                "not a regular file (a pipe, a device or a socket); give a file or a folder", Location(path)
            )


def check_coverage(
    args: argparse.Namespace, columns: Any, wanted: Any, what: str, source: str, mapping: dict[str, str] | None = None
) -> None:
    """No field column at all: an error unless --allow-no-fields; fewer than half: a warning on standard error."""
    from ..research.intake import coverage_message, field_coverage

    cov = field_coverage(columns, list(wanted), mapping)
    message = coverage_message(cov, what, source)
    if message is None:
        return
    if cov.none:
        if not getattr(args, "allow_no_fields", False):
            raise TrafficscreenError(message)
        print(
            f"warning: {source}: none of the {len(cov.wanted)} field(s) {what} has a column in the input; "
            "every answer is unknown (--allow-no-fields)",
            file=sys.stderr,
        )
        return
    print(message, file=sys.stderr)
