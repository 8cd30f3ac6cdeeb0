"""Shared fixtures. ``mini`` is a tiny set beside the tests; shipped content is loaded by id."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from paths import DATA
from trafficscreen.content.loader import load_set
from trafficscreen.core.compiled import CompiledSet
from trafficscreen.core.engine import Screener

# Server state (the shared replay store) goes to a folder of the test run, never to the home directory.
os.environ.setdefault("TRAFFICSCREEN_STATE_DIR", tempfile.mkdtemp(prefix="trafficscreen-state-"))

MINI_SET = DATA / "sets" / "mini" / "1.0.0.yaml"
MINI_DICT = DATA / "dictionaries" / "mini" / "1.0.0.yaml"


@pytest.fixture(scope="session")
def mini() -> CompiledSet:
    return load_set(MINI_SET)


@pytest.fixture(scope="session")
def mini_screener(mini: CompiledSet) -> Screener:
    return Screener(mini)


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A writable copy of the mini content tree, for tests that break it on purpose."""
    root = tmp_path / "content"
    shutil.copytree(DATA, root)
    return root


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test set-up: {old!r} not found in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
