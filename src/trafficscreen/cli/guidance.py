"""``trafficscreen guidance`` and the ``--guidance`` options of ``trafficscreen screen``.

``trafficscreen guidance RESULT.json --jurisdiction CODE`` renders referral guidance from a saved result;
``trafficscreen screen ENCOUNTER.json --guidance --jurisdiction CODE`` screens and renders in one step.
Both read only the result: no rule is evaluated again. Jinja2 is imported only when guidance is rendered.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..model.result import ScreeningResult

GUIDANCE_FORMATS = ("text", "markdown", "html")


def _add_routes(p: argparse.ArgumentParser, required: bool) -> None:
    p.add_argument(
        "--jurisdiction",
        required=required,
        metavar="CODE",
        help="referral pack: GB (England & Wales), NO, PT or US; CODE@VERSION or a pack file",
    )
    p.add_argument("--site", metavar="FILE", help="the deployer's site file with local contacts (kind: site)")
    p.add_argument("--templates", metavar="DIR", help="folder of your own guidance templates")


def add_screen_options(sc: argparse.ArgumentParser) -> None:
    """The options ``screen`` gains: with ``--guidance`` its output is the guidance in ``--format``."""
    sc.add_argument(
        "--guidance", action="store_true", help="print referral guidance (text, markdown or html) instead of the result"
    )
    _add_routes(sc, required=False)


def check_screen_args(args: argparse.Namespace) -> None:
    """Refuse option combinations before anything is read (exit 2 through main())."""
    from ..errors import TrafficscreenError

    if args.guidance:
        if args.format not in GUIDANCE_FORMATS:
            raise TrafficscreenError(f"--guidance prints text, markdown or html, not {args.format}")
        if not args.jurisdiction:
            raise TrafficscreenError("--guidance needs --jurisdiction (GB, NO, PT or US)")
    elif args.format not in ("text", "json"):
        raise TrafficscreenError(f"--format {args.format} is for referral guidance: add --guidance --jurisdiction CODE")
    elif args.jurisdiction or args.site or args.templates:
        raise TrafficscreenError("--jurisdiction, --site and --templates need --guidance")


def _render(
    result: ScreeningResult, args: argparse.Namespace, lang: str | None, patient_label: str | None = None
) -> str:
    from ..render.guidance import render_guidance

    return render_guidance(
        result,
        jurisdiction=args.jurisdiction,
        lang=lang,
        site=args.site,
        format=args.format,
        templates=args.templates,
        patient_label=patient_label,
    )


def write_guidance(result: ScreeningResult, args: argparse.Namespace) -> int:
    """Print the guidance for a result ``screen`` just made."""
    sys.stdout.write(_render(result, args, args.lang))
    return 0


def _read_result(path: str) -> ScreeningResult:
    from pydantic import ValidationError

    from ..errors import JSONInputError, Location, ResultFileError
    from ..model.encounter import strict_json_loads
    from ..model.result import ScreeningResult
    from ._io import read_bounded

    # bounded, regular files only, and strict JSON: a key named twice is refused, never the last one winning
    data, source = read_bounded(path, 4 * 1024 * 1024, what="result")
    try:
        parsed = strict_json_loads(data)
    except JSONInputError as exc:
        raise JSONInputError(exc.message, Location(source)) from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ResultFileError("not valid JSON", Location(source)) from None
    try:
        return ScreeningResult.model_validate(parsed)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(x) for x in first.get("loc", ())) or "the document"
        kind = first.get("type", "")
        if kind == "json_invalid":
            raise ResultFileError("not valid JSON", Location(source)) from None
        raise ResultFileError(
            f"not a screening result (`trafficscreen schema result`): {where}: {first.get('msg', 'invalid')}",
            Location(source),
        ) from None


def cmd_guidance(args: argparse.Namespace) -> int:
    result = _read_result(args.result)
    text = _render(result, args, args.lang, args.patient_label)
    if args.out:
        out = Path(args.out)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
    else:
        sys.stdout.write(text)
    return 0


def register(sub: Any) -> None:
    gp = sub.add_parser("guidance", help="referral guidance for a saved screening result (JSON)")
    gp.add_argument("result", help="a result from `trafficscreen screen --format json`, or - for standard input")
    _add_routes(gp, required=True)
    gp.add_argument("--lang", default=None, help="en, pt or nb (default: the result's language)")
    gp.add_argument("--format", choices=GUIDANCE_FORMATS, default="text")
    gp.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")
    gp.add_argument(
        "--patient-label",
        metavar="TEXT",
        help="a label to print on the sheet (left off unless given: the sheet carries no patient data by default)",
    )
    gp.set_defaults(func=cmd_guidance)
