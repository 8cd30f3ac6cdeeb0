"""``trafficscreen catalogue``: write (or check) the readable pages of the shipped indicator sets."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def cmd_catalogue(args: argparse.Namespace) -> int:
    from ..authoring.catalogue import build_catalogue, differences, write_catalogue

    out = Path(args.out)
    pages = build_catalogue()
    if args.check:
        found = differences(out, pages)
        for line in found:
            print(line, file=sys.stderr)
        if found:
            print("the catalogue is out of date: run `trafficscreen catalogue`", file=sys.stderr)
            return 1
        print(f"{len(pages)} page(s) up to date in {out}")
        return 0
    touched = write_catalogue(out, pages)
    for p in touched:
        print(p)
    print(f"{len(pages)} page(s) in {out}; {len(touched)} written or removed")
    return 0


def register(sub: Any) -> None:
    cp = sub.add_parser(
        "catalogue",
        help="write Markdown pages describing every shipped indicator set",
        description="Generate <set-id>.md for each shipped set and a README.md index from the "
        "YAML under indicators/sets. Re-run after any content change.",
    )
    cp.add_argument("--out", default="docs/indicators", help="folder to write into (default: docs/indicators)")
    cp.add_argument("--check", action="store_true", help="write nothing; exit 1 when the pages are out of date")
    cp.set_defaults(func=cmd_catalogue)
