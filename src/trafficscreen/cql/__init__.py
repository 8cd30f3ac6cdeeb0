"""A set as a FHIR knowledge package: CQL text and ELM JSON generated from the condition trees through
the one two-world lowering (:mod:`trafficscreen.expr.worlds`), wrapped in a PlanDefinition, a Library,
CodeSystems, ValueSets, the set's Questionnaire and test cases. See docs/fhir.md.
"""

from __future__ import annotations

from .elm import elm_library
from .lowering import expected_outputs
from .text import cql_text

__all__ = ["cql_text", "elm_library", "expected_outputs"]
