"""``trafficscreen fhir export`` and ``trafficscreen fhir questionnaire``.

Registered through ``COMMAND_MODULES`` in :mod:`._main`; everything heavy is imported inside the command functions.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ._io import read_input

FHIR_VERSIONS = ("R4B", "R5")  # kept here so that building the parser imports nothing else


def register(sub: Any) -> None:
    fp = sub.add_parser("fhir", help="FHIR: export results as Bundles, generate Questionnaires")
    fsub = fp.add_subparsers(dest="fhir_command", required=True, parser_class=type(fp))

    ex = fsub.add_parser(
        "export",
        help="write a result as a FHIR Bundle (input: an encounter, a result, or a QuestionnaireResponse)",
        description="Screen an encounter or a QuestionnaireResponse (or take a result JSON) and print a FHIR "
        "Bundle holding a RiskAssessment, Observations, a Flag from 'refer' upwards, and the response. "
        "Every resource is labelled restricted and sensitive: the receiving EHR must enforce the labels.",
    )
    ex.add_argument("input", help="JSON file (encounter, result, or QuestionnaireResponse), or - for standard input")
    ex.add_argument("--fhir-version", choices=FHIR_VERSIONS, default="R4B", type=str.upper)
    ex.add_argument("--transaction", action="store_true", help="a transaction Bundle (needs --patient)")
    ex.add_argument("--patient", help="Patient/<id>, an absolute URL, or SYSTEM|VALUE (an identifier)")
    ex.add_argument("--encounter", help="Encounter/<id>, an absolute URL, or SYSTEM|VALUE (an identifier)")
    ex.add_argument(
        "--set",
        help="set id, id@version or path, for an encounter (default: the shipped default "
        "set; for a QuestionnaireResponse, the set its questionnaire names)",
    )
    ex.add_argument("--lang", help="en, pt or nb, for an encounter (default en)")
    ex.add_argument(
        "--issued",
        help="time written on the resources, e.g. 2026-11-23T10:15:00Z, or 'now' "
        "(default: no time, so the output depends on the input alone)",
    )
    ex.add_argument("--adolescent", action="store_true", help="add the ADOL sensitivity label")
    ex.add_argument("--id-seed", help="text mixed into the resource ids (a secret makes them unguessable)")
    ex.add_argument("--allow-draft", action="store_true", help="allow a draft set (research use only)")
    ex.add_argument(
        "--validate",
        action="store_true",
        help="check the Bundle with fhir.resources and the code checks before printing (needs trafficscreen[fhir])",
    )
    ex.set_defaults(func=cmd_export)

    qp = fsub.add_parser("questionnaire", help="print the FHIR Questionnaire of an indicator set")
    qp.add_argument("--set", help="set id, id@version or path (default: the shipped default set)")
    qp.add_argument("--fhir-version", choices=FHIR_VERSIONS, default="R4B", type=str.upper)
    qp.add_argument(
        "--lang", default="en", help="language of the texts (en, pt or nb); the others go in translation extensions"
    )
    qp.add_argument("--no-enable-when", action="store_true", help="show every question (no derived enableWhen)")
    qp.add_argument("--allow-draft", action="store_true", help="allow a draft set (research use only)")
    qp.add_argument("--validate", action="store_true", help="check it with fhir.resources first")
    qp.set_defaults(func=cmd_questionnaire)

    pp = fsub.add_parser(
        "package",
        help="write an R4 FHIR knowledge package of a set (PlanDefinition, Library with CQL and ELM, ...)",
        description="Write OUT/package/ (package.json and one JSON file per resource: PlanDefinition, Library "
        "with the set's CQL and ELM, CodeSystems, ValueSets, the Questionnaire, and test cases under "
        "package/tests/). See docs/fhir.md.",
    )
    pp.add_argument("set", help="set id, id@version or path")
    pp.add_argument("--out", required=True, help="folder to write package/ into (package/ must be new or empty)")
    pp.add_argument("--tgz", action="store_true", help="also write OUT/<name>-<version>.tgz")
    pp.add_argument("--vignettes", help="folder of vignette YAML files: those written for this set become test cases")
    pp.add_argument("--allow-draft", action="store_true", help="allow a draft set (research use only)")
    pp.set_defaults(func=cmd_package)


def cmd_package(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..content.loader import load_set
    from ..cql.package import PackageError, vignette_cases, write_package

    compiled = load_set(args.set, allow_draft=args.allow_draft)
    cases = []
    if args.vignettes:
        folder = Path(args.vignettes)
        if not folder.is_dir():
            raise PackageError(f"--vignettes: no such folder {folder}")
        cases = vignette_cases(compiled, folder)
    written = write_package(compiled, args.out, tgz=args.tgz, cases=cases)
    print(written)
    return 0


def _issued(value: str | None) -> str | None:
    if value is None:
        return None
    if value == "now":
        from datetime import UTC, datetime

        return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return value


def _print(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def cmd_export(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from ..content.loader import load_set
    from ..core.engine import DEFAULT_SET, Screener
    from ..errors import EncounterError, Location
    from ..fhir.export import to_fhir
    from ..fhir.importer import read_questionnaire_response
    from ..messages import check_lang
    from ..model.encounter import parse_encounter_json
    from ..model.result import ScreeningResult

    data, source = read_input(args.input)
    response = read_questionnaire_response(data, source)
    qr: dict[str, Any] | None = None
    result: ScreeningResult
    parsed: Any = None
    if response is None:
        from ..errors import JSONInputError
        from ..model.encounter import strict_json_loads

        try:
            parsed = strict_json_loads(data)
        except JSONInputError as exc:  # a duplicated key is refused, never resolved silently
            raise JSONInputError(exc.message, Location(source)) from None
        except (ValueError, RecursionError):
            parsed = None  # not JSON: the encounter reader says where
    if isinstance(parsed, dict) and "schema_version" in parsed and "level" in parsed:
        if args.set:
            raise EncounterError(
                "--set applies to an encounter; a result names the set it was screened with", Location(source)
            )
        try:
            result = ScreeningResult.model_validate(parsed)
        except ValidationError as exc:
            first = exc.errors(include_url=False, include_input=False)[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            raise EncounterError(
                f"not a screening result: {where}: {first.get('msg', 'invalid')}", Location(source)
            ) from None
        if args.lang and args.lang != result.lang:
            raise EncounterError(
                "--lang applies to an encounter; a result keeps the language it was screened in", Location(source)
            )
    else:
        lang = check_lang(args.lang or "en")
        if response is not None:
            compiled = load_set(args.set or response.set_ref or DEFAULT_SET, allow_draft=args.allow_draft)
            encounter: Any = response.encounter(compiled)
            qr = dict(response.data)
        else:
            encounter = parse_encounter_json(data, source)
            compiled = load_set(args.set or DEFAULT_SET, allow_draft=args.allow_draft)
        try:
            result = Screener(compiled, lang=lang, allow_draft=True).screen(encounter)
        except EncounterError as exc:
            raise EncounterError(exc.message, Location(source)) from None
    bundle = to_fhir(
        result,
        args.fhir_version,
        patient=args.patient,
        encounter=args.encounter,
        transaction=args.transaction,
        questionnaire_response=qr,
        issued=_issued(args.issued),
        id_seed=args.id_seed,
        adolescent=args.adolescent,
        validate=args.validate,
    )
    _print(bundle)
    return 0


def cmd_questionnaire(args: argparse.Namespace) -> int:
    from ..content.loader import load_set
    from ..core.engine import DEFAULT_SET
    from ..fhir.questionnaire import questionnaire

    compiled = load_set(args.set or DEFAULT_SET, allow_draft=args.allow_draft)
    q = questionnaire(compiled, args.fhir_version, args.lang, enable_when=not args.no_enable_when)
    if args.validate:
        from ..fhir.check import validate_questionnaire

        validate_questionnaire(q, args.fhir_version)
    _print(q)
    return 0
