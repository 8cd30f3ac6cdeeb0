"""The ``trafficscreen`` command.

Exit codes: 0 on success, 2 on bad input (one line on standard error naming what and where, never a
patient's answer), 1 when ``validate`` finds only warnings treated as errors with ``--strict``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from .._version import __version__
from ._io import EXIT_BAD_INPUT


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _fail(message: str) -> int:
    print(f"trafficscreen: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


OUTPUT_FILE_OPTIONS: dict[str, tuple[str, ...]] = {
    "batch": ("out", "rejects"),
    "pack": ("out", "rejects"),
    "synth": ("out",),
    "guidance": ("out",),
}
"""Options naming a file a command writes, by command: their folder must exist before any work starts."""


def check_output_folders(args: argparse.Namespace) -> None:
    """Refuse an output file whose folder does not exist, naming it as output (not as unreadable input)."""
    from ..errors import TrafficscreenError

    for name in OUTPUT_FILE_OPTIONS.get(getattr(args, "command", "") or "", ()):
        value = getattr(args, name, None)
        if not isinstance(value, (str, Path)) or str(value) in ("", "-"):
            continue
        folder = Path(value).parent
        if not folder.is_dir():
            raise TrafficscreenError(f"output: no such folder {folder} to write --{name} {value} into")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="trafficscreen",
        description="Screen paediatric encounters for indicators of child "
        "trafficking. Supports, never replaces, clinical judgement and local safeguarding procedure.",
    )
    p.add_argument("--version", action="version", version=f"trafficscreen {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    # Every command registers itself; each module's `register(sub)` adds its parsers and must import
    # heavy dependencies only inside its command functions.
    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(name, __package__).register(sub)
    return p


COMMAND_MODULES: tuple[str, ...] = (
    ".screen",
    ".fhir",
    ".guidance",
    ".diff",
    ".catalogue",
    ".serve",
    ".research",
    ".sql",
)
"""Modules of this package whose ``register(subparsers)`` adds commands, in the order ``--help`` lists them."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from ..errors import TrafficscreenError

    try:
        # every command that takes --lang refuses an unsupported language before it reads any input
        if getattr(args, "lang", None) is not None:
            from ..messages import check_lang

            check_lang(args.lang)
        check_output_folders(args)
        code: int = args.func(args)
        return code
    except TrafficscreenError as exc:
        return _fail(str(exc))
    except OSError as exc:
        if exc.filename:
            return _fail(f"{exc.filename}: {exc.strerror or 'cannot be read or written'}")
        # no file named (some writers raise without one): say so, never claim it was the input
        return _fail(f"a file could not be read or written ({exc.strerror or type(exc).__name__})")
    except KeyboardInterrupt:
        return 130
