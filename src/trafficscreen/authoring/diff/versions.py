"""Version rules: the three bumps, their order, and the bump between two version numbers."""

from __future__ import annotations

from typing import Literal

from ...model.common import semver_key

Bump = Literal["patch", "minor", "major"]
BUMPS: tuple[Bump, ...] = ("patch", "minor", "major")
_RANK: dict[str, int] = {"patch": 1, "minor": 2, "major": 3}


def bump_rank(bump: Bump | None) -> int:
    """0 for no bump, then 1 patch, 2 minor, 3 major."""
    return _RANK[bump] if bump else 0


def version_bump(old: str, new: str) -> Bump | None:
    """The bump from ``old`` to ``new`` (semantic versions), or ``None`` when ``new`` is not later.

    Before 1.0.0 everything shifts one place, as semantic versioning allows breaking changes there:
    0.1.0 to 0.2.0 counts as major and 0.1.0 to 0.1.1 as minor. A pre-release (``2.0.0-rc.1``) counts
    as the release it leads to.
    """
    if semver_key(new) <= semver_key(old):
        return None
    a, b = semver_key(old)[:3], semver_key(new)[:3]
    if a == b:  # a pre-release and its release: no step between them
        return None
    if a[0] == 0 and b[0] == 0:
        return "major" if b[1] != a[1] else "minor"
    if b[0] != a[0]:
        return "major"
    return "minor" if b[1] != a[1] else "patch"
