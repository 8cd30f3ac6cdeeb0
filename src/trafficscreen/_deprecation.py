"""Renamed keywords keep working for one release, with a :class:`DeprecationWarning`.

A public function's keyword is part of the API: a caller's ``screen(enc, set=cs)`` must not break the
day the keyword is renamed. The decorator maps the old name to the new one and says so once per call
site (Python's default warning filters show a DeprecationWarning raised from ``__main__`` and from
tests, and hide it elsewhere).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

REMOVED_IN = "0.3.0"
"""The release that drops the keywords renamed in 0.2.0."""


def renamed_keyword(old: str, new: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Accept ``old=`` as ``new=`` with a DeprecationWarning; both at once is a TypeError."""

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if old in kwargs:
                if new in kwargs:
                    raise TypeError(f"{func.__name__}() got both '{old}' and '{new}'; pass only '{new}'")
                warnings.warn(
                    f"{func.__name__}(): the keyword '{old}=' is deprecated and will be removed in "
                    f"{REMOVED_IN}; use '{new}='",
                    DeprecationWarning,
                    stacklevel=2,
                )
                kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return wrapper

    return decorate
