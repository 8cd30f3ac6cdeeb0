"""Where things are, for every test whatever its folder: ``TESTS`` is this folder (shared helpers,
``data``, ``vignettes``), ``ROOT`` the repository (``src``, ``examples``, ``docs``, ``benchmarks``)."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
DATA = TESTS / "data"
VIGNETTES = TESTS / "vignettes"
