"""trafficscreen: screen paediatric encounters for indicators of child trafficking.

It supports, and never replaces, clinical judgement and local safeguarding procedure. A result with no
indicators is *not* a negative finding.

>>> from trafficscreen import Screener, load_set
>>> screener = Screener(load_set("ilo-child-labour"))
>>> result = screener.screen({"answers": {"age_years": 14}})
>>> result.level.value
'none'

The public names are loaded on first use, so ``import trafficscreen`` stays cheap. ``__all__`` holds
only what a base install (no extras) can import, so ``from trafficscreen import *`` always works;
``trafficscreen.score_frame`` stays importable with the ``research`` extra (it lives in
:mod:`trafficscreen.research`), and without it raises :class:`MissingExtraError` naming the extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports
from ._version import __version__

if TYPE_CHECKING:
    from .authoring.validate import Issue, validate_paths
    from .content.loader import DEFAULT_SET, load_dictionary, load_set
    from .core.compiled import CompiledSet
    from .core.engine import Screener, screen
    from .errors import (
        ConditionError,
        ContentError,
        DraftSetError,
        EncounterError,
        MissingExtraError,
        SchemaError,
        SetNotFoundError,
        TemplateError,
        TrafficscreenError,
        UnsupportedLanguageError,
        YAMLSyntaxError,
    )
    from .model.common import Form, Level
    from .model.dictionary import DataDictionary
    from .model.encounter import Encounter
    from .model.indicator_set import IndicatorSet
    from .model.result import ScreeningResult
    from .render.guidance import render_guidance
    from .render.text import render_text
    from .research.batch import score_frame as score_frame  # importable, not in __all__ (an extra)

_EXPORTS: dict[str, str] = {
    "CompiledSet": ".core.compiled",
    "Screener": ".core.engine",
    "screen": ".core.engine",
    "ConditionError": ".errors",
    "ContentError": ".errors",
    "DraftSetError": ".errors",
    "EncounterError": ".errors",
    "MissingExtraError": ".errors",
    "SchemaError": ".errors",
    "SetNotFoundError": ".errors",
    "TemplateError": ".errors",
    "TrafficscreenError": ".errors",
    "UnsupportedLanguageError": ".errors",
    "YAMLSyntaxError": ".errors",
    "DEFAULT_SET": ".content.loader",
    "load_dictionary": ".content.loader",
    "load_set": ".content.loader",
    "Form": ".model.common",
    "Level": ".model.common",
    "DataDictionary": ".model.dictionary",
    "Encounter": ".model.encounter",
    "IndicatorSet": ".model.indicator_set",
    "ScreeningResult": ".model.result",
    "render_guidance": ".render.guidance",
    "render_text": ".render.text",
    "score_frame": ".research.batch",  # not in __all__: needs the research extra
    "Issue": ".authoring.validate",
    "validate_paths": ".authoring.validate",
}

__all__ = [
    "DEFAULT_SET",
    "CompiledSet",
    "ConditionError",
    "ContentError",
    "DataDictionary",
    "DraftSetError",
    "Encounter",
    "EncounterError",
    "Form",
    "IndicatorSet",
    "Issue",
    "Level",
    "MissingExtraError",
    "SchemaError",
    "Screener",
    "ScreeningResult",
    "SetNotFoundError",
    "TemplateError",
    "TrafficscreenError",
    "UnsupportedLanguageError",
    "YAMLSyntaxError",
    "__version__",
    "load_dictionary",
    "load_set",
    "render_guidance",
    "render_text",
    "screen",
    "validate_paths",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
