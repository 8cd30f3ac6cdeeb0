"""The reviewer's text summary of a :class:`~trafficscreen.authoring.diff.SetDiff` (``trafficscreen diff``)."""

from __future__ import annotations

from ..authoring.diff import SetDiff, bump_rank


def render_diff_text(d: SetDiff) -> str:
    """A reviewer's summary: the verdict first, then every change grouped by what it touches."""
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
