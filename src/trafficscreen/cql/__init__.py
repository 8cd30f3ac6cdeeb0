"""A set as a FHIR knowledge package: CQL text and ELM JSON generated from the condition trees through
the one two-world lowering (:mod:`trafficscreen.expr.worlds`), wrapped in a PlanDefinition, a Library,
CodeSystems, ValueSets, the set's Questionnaire and test cases. See docs/fhir.md ("Knowledge package").

>>> from trafficscreen import load_set                                   # doctest: +SKIP
>>> from trafficscreen.cql import write_package                          # doctest: +SKIP
>>> write_package(load_set("paediatric-default"), "build", tgz=True)     # doctest: +SKIP
"""

from __future__ import annotations

from .check import check_package, read_package
from .elm import elm_library
from .lowering import expected_outputs
from .package import TestCase, build_package, vignette_cases, write_package
from .text import cql_text

__all__ = [
    "TestCase",
    "build_package",
    "check_package",
    "cql_text",
    "elm_library",
    "expected_outputs",
    "read_package",
    "vignette_cases",
    "write_package",
]
