"""``trafficscreen diff OLD NEW``: what changed between two versions of an indicator set, and the
smallest version bump the change needs (rules in :mod:`trafficscreen.authoring.diff`)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def cmd_diff(args: argparse.Namespace) -> int:
    from ..authoring.diff import diff_sets
    from ..content.loader import load_set
    from ..render.diff import render_diff_text

    old = load_set(args.old, allow_draft=True).definition
    new = load_set(args.new, allow_draft=True).definition
    result = diff_sets(old, new)
    if args.format == "json":
        sys.stdout.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render_diff_text(result))
    return 1 if args.check and not result.ok else 0


def register(sub: Any) -> None:
    dp = sub.add_parser(
        "diff",
        help="compare two versions of an indicator set and say which version bump the change needs",
        description="Compare two indicator sets (id@version, or a path to a set file). Lists indicators "
        "added, removed and changed, dimension and level rule changes and set-wide changes, each with the "
        "version bump it needs; exit 1 with --check when the new version number is too small.",
    )
    dp.add_argument("old", help="the earlier set: id@version or a path")
    dp.add_argument("new", help="the later set: id@version or a path")
    dp.add_argument("--format", choices=["text", "json"], default="text")
    dp.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when the new version is not at least the required bump above the old one",
    )
    dp.set_defaults(func=cmd_diff)
