"""``trafficscreen screen`` and the commands about the content it reads: ``sets``, ``validate`` and
``schema``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ._io import EXIT_BAD_INPUT, check_regular_paths, read_input
from .guidance import add_screen_options, check_screen_args, write_guidance


def cmd_sets(args: argparse.Namespace) -> int:
    from ..content.loader import _peek_status, shipped_sets
    from ..core.engine import DEFAULT_SET

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
    from ..authoring.validate import validate_paths

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
    from ..content.loader import load_set
    from ..core.engine import DEFAULT_SET, Screener
    from ..messages import check_lang
    from ..model.encounter import parse_encounter_json
    from ..render.text import render_text

    check_screen_args(args)
    check_lang(args.lang)
    data, source = read_input(args.encounter)
    from ..fhir.importer import read_questionnaire_response

    response = read_questionnaire_response(data, source)  # None unless a FHIR QuestionnaireResponse
    encounter: Any = parse_encounter_json(data, source) if response is None else None
    compiled = load_set(args.set or (response and response.set_ref) or DEFAULT_SET, allow_draft=args.allow_draft)
    if response is not None:
        encounter = response.encounter(compiled)
    screener = Screener(compiled, lang=args.lang, allow_draft=True)
    from ..errors import EncounterError

    try:
        result = screener.screen(encounter)
    except EncounterError as exc:
        raise EncounterError(exc.message, type(exc.location)(source) if exc.location else None) from None
    if args.guidance:
        return write_guidance(result, args)
    if args.format == "json":
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        sys.stdout.write(render_text(result))
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from ..model.dictionary import DataDictionary
    from ..model.encounter import Encounter
    from ..model.indicator_set import IndicatorSet
    from ..model.referral import ReferralPack, SiteFile
    from ..model.result import RESULT_SCHEMA_VERSION, ScreeningResult

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


def register(sub: Any) -> None:
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
    add_screen_options(sc)
    sc.set_defaults(func=cmd_screen)

    sh = sub.add_parser("schema", help="print a JSON Schema")
    sh.add_argument("what", choices=["dictionary", "indicator-set", "encounter", "result", "referral-pack", "site"])
    sh.set_defaults(func=cmd_schema)
