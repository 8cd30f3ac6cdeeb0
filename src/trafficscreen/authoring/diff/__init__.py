"""Compare two versions of an indicator set and work out the smallest version bump the change needs.

``diff_sets(old, new)`` lists indicators added, removed and changed (attribute by attribute), and changes
to dimensions, levels and set-wide fields. Each change carries the bump it needs on its own:

* **patch**: nothing a screen computes can change (translations, wording, sources, ``verified`` marks,
  examples, titles);
* **minor**: a result can change for some encounter, but no level can go down and no id disappears
  (a condition widened, an indicator or level added, a red flag added, a rule relaxed);
* **major**: an id that results and integrations rely on is removed or renamed, or some encounter can
  get a *lower* level under the new version than under the old one.

Whether a level can go down is decided, not guessed, wherever that is cheap to do exactly, and the
answer errs toward *major* wherever it is not:

1. An indicator's condition is compared as a syntax tree. The same tree (even written differently) is
   no change; a new condition that is implied by the old one (``old or x``, a longer ``in`` list, a
   looser bound) can only turn *not met* into *met*; any other rewrite is assumed able to do the
   opposite.
2. For each dimension, every combination of met indicators (old and new strengths, points and
   membership side by side) is enumerated, and the new rule must hold wherever the old one held.
3. The set-wide counts and the red flag that the new level rules read must not fall for any indicator.
4. The level rules are compared over every combination of dimension outcomes, red flag and counts they
   read: the new level must never be below the old one.
5. Steps 1 and 3 rely on the new rules being *monotone* (a rule never turns false because a count or a
   dimension went up); a rule that is not, e.g. ``not red_flag`` or ``medium == 2``, makes such
   changes major.

The analysis considers answers that rule indicators in or out; because the engine reads an unknown
indicator as "not yet met", the same holds for partly answered encounters.

The parts: :mod:`.versions` (the bumps and the bump between two version numbers), :mod:`.conditions`
(condition trees compared: same meaning, implication, monotonicity), :mod:`.changes` (the change table,
each difference with the bump it needs on its own), :mod:`.impact` (which changes can lower a level:
steps 1-5 above) and :mod:`.compare` (``diff_sets``, which runs them in that order).
"""

from .changes import Change, SetDiff
from .compare import diff_sets
from .conditions import implies, not_monotone, same_meaning
from .versions import BUMPS, Bump, bump_rank, version_bump

__all__ = [
    "BUMPS",
    "Bump",
    "Change",
    "SetDiff",
    "bump_rank",
    "diff_sets",
    "implies",
    "not_monotone",
    "same_meaning",
    "version_bump",
]
