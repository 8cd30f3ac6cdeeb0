"""``trafficscreen diff OLD NEW``: what changed between two versions of an indicator set, and the
smallest version bump the change needs (rules in :mod:`trafficscreen.diff`)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .diff import SetDiff


def render_diff_text(d: SetDiff) -> str:
    """A reviewer's summary: the verdict first, then every change grouped by what it touches."""
    from .diff import bump_rank

    lines = [f"{d.old} -> {d.new}"]
    if d.old.split("@")[0] != d.new.split("@")[0]:
        actual, verdict = "none", "different sets: no version step to check"
    else:
        actual = d.actual_bump or "none (not a later version)"
        verdict = "ok" if d.ok else "TOO SMALL"
    lines.append(f"required version bump: {d.required_bump}; actual: {actual} ({verdict})")
    if d.reasons:
        lines.append("major because:")
        lines.extend(f"  - {r}" for r in d.reasons)
    lines.append(f"indicators: {len(d.added)} added, {len(d.removed)} removed, {len(d.changed)} changed")
    if not d.changes:
        lines.append("no differences")
        return "\n".join(lines) + "\n"
    groups: dict[str, list[str]] = {}
    order = ("set", "dimension", "level", "indicator")
    for c in sorted(d.changes, key=lambda c: (order.index(c.subject.split(" ")[0]), -bump_rank(c.bump))):
        detail = ""
        if c.attribute in ("added", "removed") or c.attribute.startswith(("text.", "title.", "description.")):
            detail = f": {_short(c.after if c.after is not None else c.before)}" if (c.after or c.before) else ""
        elif c.before is not None or c.after is not None:
            detail = f": {_short(c.before)} -> {_short(c.after)}"
        note = f"  ({c.note})" if c.note else ""
        groups.setdefault(c.subject, []).append(f"    {c.attribute} [{c.bump}]{detail}{note}")
    for subject, items in groups.items():
        lines.append(f"  {subject}")
        lines.extend(items)
    return "\n".join(lines) + "\n"


def _short(value: str | None, width: int = 90) -> str:
    if value is None:
        return "(none)"
    flat = " ".join(value.split())
    return flat if len(flat) <= width else f"{flat[: width - 3]}..."


def cmd_diff(args: argparse.Namespace) -> int:
    from .diff import diff_sets
    from .loader import load_set

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
