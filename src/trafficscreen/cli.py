"""The ``trafficscreen`` command.

Exit codes: 0 on success, 2 on bad input (one line on standard error naming what and where, never a
patient's answer), 1 when ``validate`` finds only warnings treated as errors with ``--strict``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from ._version import __version__

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _fail(message: str) -> int:
    print(f"trafficscreen: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def read_bounded(path: str, limit: int, what: str = "input") -> tuple[bytes, str]:
    """The bytes of ``path`` (``-``: standard input) and the name to report it by; at most ``limit``
    bytes are accepted and at most ``limit + 1`` are ever read. A path that is not a regular file (a
    folder, a FIFO, a device such as /dev/zero) is refused before it is opened for reading, so the
    command neither waits on a pipe nor reads without end."""
    import os
    import stat

    from .errors import JSONInputError, Location

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


def _read_input(path: str) -> tuple[bytes, str]:
    from .model.encounter import MAX_ENCOUNTER_BYTES

    return read_bounded(path, MAX_ENCOUNTER_BYTES)


def check_regular_paths(paths: Sequence[str]) -> None:
    """Refuse a path that exists but is neither a regular file nor a folder (``validate /dev/zero``, a
    FIFO), before anything opens it."""
    import os
    import stat

    from .errors import JSONInputError, Location

    for path in paths:
        try:
            mode = os.stat(path).st_mode
        except OSError:
            continue  # a missing path is reported by the command itself
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise JSONInputError(
                "not a regular file (a pipe, a device or a socket); give a file or a folder", Location(path)
            )


OUTPUT_FILE_OPTIONS: dict[str, tuple[str, ...]] = {
    "batch": ("out", "rejects"),
    "pack": ("out", "rejects"),
    "synth": ("out",),
    "guidance": ("out",),
}
"""Options naming a file a command writes, by command: their folder must exist before any work starts."""


def check_output_folders(args: argparse.Namespace) -> None:
    """Refuse an output file whose folder does not exist, naming it as output (not as unreadable input)."""
    from .errors import TrafficscreenError

    for name in OUTPUT_FILE_OPTIONS.get(getattr(args, "command", "") or "", ()):
        value = getattr(args, name, None)
        if not isinstance(value, (str, Path)) or str(value) in ("", "-"):
            continue
        folder = Path(value).parent
        if not folder.is_dir():
            raise TrafficscreenError(f"output: no such folder {folder} to write --{name} {value} into")


def cmd_sets(args: argparse.Namespace) -> int:
    from .engine import DEFAULT_SET
    from .loader import _peek_status, shipped_sets

    rows = [(ident, version, _peek_status(path) or "?", path) for ident, version, path in shipped_sets()]
    if args.format == "json":
        print(
            json.dumps(
                [{"id": i, "version": v, "status": s, "default": i == DEFAULT_SET} for i, v, s, _ in rows], indent=2
            )
        )
        return 0
    for ident, version, status, _path in rows:
        mark = "  (default)" if ident == DEFAULT_SET else ""
        print(f"{ident}@{version}\t{status}{mark}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .validate import validate_paths

    check_regular_paths(args.paths)
    issues = validate_paths(args.paths)
    errors = [i for i in issues if i.severity == "error"]
    warnings = [i for i in issues if i.severity == "warning"]
    shown = issues if not args.quiet else errors
    for issue in shown:
        print(issue, file=sys.stderr if issue.severity == "error" else sys.stdout)
    print(f"{len(errors)} error(s), {len(warnings)} warning(s)")
    if errors:
        return EXIT_BAD_INPUT
    if args.strict and warnings:
        return 1
    return 0


def cmd_screen(args: argparse.Namespace) -> int:
    from .engine import DEFAULT_SET, Screener
    from .guidance_cli import check_screen_args
    from .loader import load_set
    from .messages import check_lang
    from .model.encounter import parse_encounter_json
    from .render.text import render_text

    check_screen_args(args)
    check_lang(args.lang)
    data, source = _read_input(args.encounter)
    from .fhir.importer import read_questionnaire_response

    response = read_questionnaire_response(data, source)  # None unless a FHIR QuestionnaireResponse
    encounter: Any = parse_encounter_json(data, source) if response is None else None
    compiled = load_set(args.set or (response and response.set_ref) or DEFAULT_SET, allow_draft=args.allow_draft)
    if response is not None:
        encounter = response.encounter(compiled)
    screener = Screener(compiled, lang=args.lang, allow_draft=True)
    from .errors import EncounterError

    try:
        result = screener.screen(encounter)
    except EncounterError as exc:
        raise EncounterError(exc.message, type(exc.location)(source) if exc.location else None) from None
    if args.guidance:
        from .guidance_cli import write_guidance

        return write_guidance(result, args)
    if args.format == "json":
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        sys.stdout.write(render_text(result))
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from .model.dictionary import DataDictionary
    from .model.encounter import Encounter
    from .model.indicator_set import IndicatorSet
    from .model.referral import ReferralPack, SiteFile
    from .model.result import RESULT_SCHEMA_VERSION, ScreeningResult

    models: dict[str, Any] = {
        "dictionary": DataDictionary,
        "indicator-set": IndicatorSet,
        "encounter": Encounter,
        "result": ScreeningResult,
        "referral-pack": ReferralPack,
        "site": SiteFile,
    }
    schema = models[args.what].model_json_schema(mode="serialization" if args.what == "result" else "validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://trafficscreen.org/schema/{args.what}.json"
    if args.what == "result":
        schema["version"] = RESULT_SCHEMA_VERSION
    print(json.dumps(schema, indent=2, ensure_ascii=False))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="trafficscreen",
        description="Screen paediatric encounters for indicators of child "
        "trafficking. Supports, never replaces, clinical judgement and local safeguarding procedure.",
    )
    p.add_argument("--version", action="version", version=f"trafficscreen {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sp = sub.add_parser("sets", help="list the shipped indicator sets")
    sp.add_argument("--format", choices=["text", "json"], default="text")
    sp.set_defaults(func=cmd_sets)

    vp = sub.add_parser("validate", help="check dictionaries and indicator sets and run their examples")
    vp.add_argument("paths", nargs="+", help="YAML files or folders")
    vp.add_argument("--strict", action="store_true", help="exit 1 when there are warnings")
    vp.add_argument("--quiet", action="store_true", help="print errors only")
    vp.set_defaults(func=cmd_validate)

    sc = sub.add_parser(
        "screen", help="screen one encounter or FHIR QuestionnaireResponse (JSON file, or - for standard input)"
    )
    sc.add_argument("encounter")
    sc.add_argument("--set", help="set id, id@version or path (default: the shipped default set)")
    sc.add_argument("--lang", default="en", help="en, pt or nb")
    sc.add_argument(
        "--format",
        choices=["text", "json", "markdown", "html"],
        default="text",
        help="markdown and html need --guidance",
    )
    sc.add_argument("--allow-draft", action="store_true", help="allow a draft set (research use only)")
    from .guidance_cli import add_screen_options

    add_screen_options(sc)
    sc.set_defaults(func=cmd_screen)

    sh = sub.add_parser("schema", help="print a JSON Schema")
    sh.add_argument("what", choices=["dictionary", "indicator-set", "encounter", "result", "referral-pack", "site"])
    sh.set_defaults(func=cmd_schema)

    # Commands of other parts register themselves; each module's `register(sub)` adds its parsers and
    # must import heavy dependencies only inside its command functions.
    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(name, __package__).register(sub)
    return p


COMMAND_MODULES: tuple[str, ...] = (
    ".fhir.cli",
    ".guidance_cli",
    ".diff_cli",
    ".catalogue_cli",
    ".server.cli",
    ".research.commands",
    ".sql.commands",
)
"""Modules (relative to this package) whose ``register(subparsers)`` adds more commands."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from .errors import TrafficscreenError

    try:
        # every command that takes --lang refuses an unsupported language before it reads any input
        if getattr(args, "lang", None) is not None:
            from .messages import check_lang

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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
