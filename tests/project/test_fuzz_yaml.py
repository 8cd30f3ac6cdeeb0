"""Property-based fuzzing of the YAML reader and the content loaders (issue 17, "Fuzzing stays").

The review that found D08 (dates and huge integers), D11 (non-finite numbers), D12 (deep conditions)
and D17 ran about 50,000 mutated YAML files. These tests keep that fuzzer in the suite:

* in every run, a small fixed budget with a fixed seed (derandomised, no example database), so the
  normal suite stays fast and gives the same answer every time;
* behind the ``fuzz`` marker, a larger random budget::

      .venv/bin/python -m pytest -m fuzz tests/project/test_fuzz_yaml.py
      TRAFFICSCREEN_FUZZ_EXAMPLES=50000 .venv/bin/python -m pytest -m fuzz tests/project/test_fuzz_yaml.py

The properties: the reader returns plain, printable data (finite floats, integers that convert to text)
or raises :class:`YAMLSyntaxError` with one located line; every loader and ``validate`` turn any input
into a typed error of one line, never another exception; safe YAML round-trips through the reader.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from paths import DATA
from trafficscreen.authoring.validate import validate_paths
from trafficscreen.content.loader import load_dictionary, load_set
from trafficscreen.content.mapping import load_mapping
from trafficscreen.content.referral import read_site
from trafficscreen.content.yamlsource import MAX_DEPTH, MAX_INT_DIGITS, parse_yaml
from trafficscreen.errors import TrafficscreenError, YAMLSyntaxError

SEED = 17  # the issue's number; any fixed value keeps the small budget reproducible
SMALL = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
LOADERS_SMALL = settings(SMALL, max_examples=40)

SET_TEXT = (DATA / "sets" / "mini" / "1.0.0.yaml").read_text(encoding="utf-8")
DICT_TEXT = (DATA / "dictionaries" / "mini" / "1.0.0.yaml").read_text(encoding="utf-8")
SITE_TEXT = """kind: site
id: test-ward
name: Test ward
jurisdiction: NO
contacts:
  - id: safeguarding_lead
    order: 1
    name: Ward safeguarding lead
    phone: "+47 22 00 00 00"
    source: ward handbook
    checked: 2026-01-15
"""
MAPPING_TEXT = "id: encounter_ref\nage_years: patient_age  # in years\ndeceived: q1\n"
SEEDS = (SET_TEXT, DICT_TEXT, SITE_TEXT, MAPPING_TEXT)

# pieces an attacker or a clumsy author might type: each once crashed something, or nearly did
TOKENS = (
    "2026-02-30",
    "2026-13-01",
    "2026-00-10",
    "2026-02-30 10:00:00",
    "2026-01-01T25:00:00Z",
    "2024-02-29",
    ".inf",
    "-.inf",
    ".nan",
    ".NaN",
    "1.0e+999",
    "-1.5e+400",
    "1e999",
    "0x" + "f" * 4000,
    "9" * 4400,
    "1" + ":59" * 300,
    "1" + ":59" * 200 + ".5",
    "0o777",
    "0b101",
    "1_000",
    "-0",
    "+12",
    "0.",
    "&a ",
    "*a",
    "<<: {a: 1}",
    "!!python/object:os.system ",
    "!!binary aGk=",
    "!!set ",
    "!!str ",
    "!!int ",
    "!!float ",
    "!!timestamp ",
    "!!bool ",
    "!foo ",
    "? ",
    "- ",
    ": ",
    "\t",
    "\n",
    "  ",
    "{",
    "}",
    "[",
    "]",
    "'",
    '"',
    "# ",
    "|\n",
    ">-\n",
    "---\n",
    "...\n",
    "\x00",
    "\ufeff",
    "\u2028",
    "%YAML 1.1\n",
    "null",
    "~",
    "yes",
    "no",
    "on",
    "=",
    "@",
    "\\n",
    '"a\\nb"',
    "'x\n'",
    "[" * 40,
    "{a: " * 40,
    "not " * 40 + "deceived",
    "(" * 60,
    "age_years < 1e999",
    "deceived and " * 30 + "deceived",
    "status: active  # reviewed",
    "status: draft",
    "kind: indicator-set  # x",
    "kind: dictionary",
    'id: "mini\\n"',
    "version: 1.0.0\\n",
    "dictionary: mini@2.0.0",
    "max: .nan",
    "min: 'inf'",
)
_PIECE = st.one_of(
    st.sampled_from(TOKENS),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=6),
)


@st.composite
def mutated_yaml(draw: st.DrawFn, seeds: tuple[str, ...] = SEEDS) -> str:
    """A content file with a few edits: tokens inserted, spans replaced or dropped, values swapped."""
    text = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 5))):
        op = draw(st.sampled_from(("insert", "replace", "delete", "value", "value", "line")))
        i = draw(st.integers(0, len(text)))
        if op == "insert":
            text = text[:i] + draw(_PIECE) + text[i:]
        elif op == "replace":
            text = text[:i] + draw(_PIECE) + text[i + draw(st.integers(1, 30)) :]
        elif op == "delete":
            text = text[:i] + text[i + draw(st.integers(1, 30)) :]
        else:
            lines = text.split("\n")
            k = draw(st.integers(0, max(len(lines) - 1, 0)))
            if op == "line":  # a line repeated (duplicated keys) or moved
                lines.insert(draw(st.integers(0, len(lines))), lines[k])
            elif ": " in lines[k]:  # the value after a key replaced by a token
                head = lines[k].split(": ", 1)[0]
                lines[k] = f"{head}: {draw(_PIECE)}"
            text = "\n".join(lines)
    return text


def _plain(value: Any, depth: int = 0) -> None:
    """Reader output is plain data that later code can print and compare without surprises."""
    assert depth <= MAX_DEPTH + 1
    if isinstance(value, dict):
        for k, v in value.items():
            assert isinstance(k, str)
            _plain(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _plain(v, depth + 1)
    elif isinstance(value, float):
        assert math.isfinite(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        assert len(str(abs(value))) <= MAX_INT_DIGITS
    else:
        assert value is None or isinstance(value, (str, bool, date))


def _one_line(err: TrafficscreenError, source: str | None = None) -> None:
    message = str(err)
    assert message and "\n" not in message and "\r" not in message, repr(message[:300])
    assert "Traceback" not in message
    if source is not None:
        assert message.startswith(source), message[:300]


def check_reader(text: str) -> None:
    try:
        data, positions = parse_yaml(text, "fuzz.yaml")
    except YAMLSyntaxError as exc:
        _one_line(exc, "fuzz.yaml")
        assert exc.location is not None and exc.location.path == "fuzz.yaml"
        return
    _plain(data)
    repr(data)
    str(positions.locate(("anything", 0, "deeper")))


class Registry:
    """A writable copy of the mini content tree, files reset before each example."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.set = root / "sets" / "mini" / "1.0.0.yaml"
        self.dictionary = root / "dictionaries" / "mini" / "1.0.0.yaml"
        self.site = root / "site.yaml"
        self.mapping = root / "mapping.yaml"

    def reset(self) -> None:
        for path, text in (
            (self.set, SET_TEXT),
            (self.dictionary, DICT_TEXT),
            (self.site, SITE_TEXT),
            (self.mapping, MAPPING_TEXT),
        ):
            path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    root = tmp_path_factory.mktemp("fuzz") / "content"
    shutil.copytree(DATA, root)
    return Registry(root)


def check_loaders(reg: Registry, which: int, text: str) -> None:
    """Whatever ``text`` is, each reader of its kind of file raises only a one-line typed error."""
    reg.reset()
    target = (reg.set, reg.dictionary, reg.site, reg.mapping)[which]
    target.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    readers: list[Callable[[], object]] = [
        lambda: load_set(reg.set, allow_draft=True),
        lambda: load_dictionary(reg.dictionary),
        lambda: read_site(reg.site),
        lambda: load_mapping(reg.mapping),
    ]
    try:
        readers[which]()
    except TrafficscreenError as exc:
        _one_line(exc)
    for issue in validate_paths([target]):
        assert "\n" not in issue.message and "\n" not in str(issue.location), repr(str(issue)[:300])


_KEYS = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zl", "Zp"]), min_size=1, max_size=12
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(min_value=date(1, 1, 1)),
    _KEYS,
)
_DATA = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=4)),
    max_leaves=20,
)


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def check_round_trip(data: Any) -> None:
    text = yaml.dump({"root": data}, Dumper=_NoAliases, allow_unicode=True)
    back, _ = parse_yaml(text, "fuzz.yaml")
    assert back == {"root": data}


# --- the small fixed budget, in every run --------------------------------------------------------


@seed(SEED)
@SMALL
@given(mutated_yaml())
def test_reader_on_mutated_content(text: str) -> None:
    check_reader(text)


@seed(SEED)
@SMALL
@given(st.text(alphabet=st.sampled_from(list("ab:-[]{}?!&*#'\"|>%@`., \n\t09e+.xtrunl")), max_size=80))
def test_reader_on_yaml_punctuation(text: str) -> None:
    check_reader(text)


@seed(SEED)
@LOADERS_SMALL
@given(st.integers(0, len(SEEDS) - 1).flatmap(lambda i: st.tuples(st.just(i), mutated_yaml((SEEDS[i],)))))
def test_loaders_and_validate_on_mutated_content(registry: Registry, case: tuple[int, str]) -> None:
    check_loaders(registry, *case)


@seed(SEED)
@SMALL
@given(_DATA)
def test_safe_yaml_round_trips(data: Any) -> None:
    check_round_trip(data)


# --- the larger budget: pytest -m fuzz -----------------------------------------------------------


def _big(request: pytest.FixtureRequest) -> settings:
    if "fuzz" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("the large fuzzing budget runs with: pytest -m fuzz tests/project/test_fuzz_yaml.py")
    examples = int(os.environ.get("TRAFFICSCREEN_FUZZ_EXAMPLES", "5000"))
    return settings(SMALL, max_examples=examples, derandomize=False)


@pytest.mark.fuzz
def test_fuzz_reader_large(request: pytest.FixtureRequest) -> None:
    big = _big(request)
    big(given(mutated_yaml())(check_reader))()
    big(given(_DATA)(check_round_trip))()


@pytest.mark.fuzz
def test_fuzz_loaders_large(request: pytest.FixtureRequest, registry: Registry) -> None:
    big = settings(_big(request), max_examples=max(_big(request).max_examples // 5, 1))
    cases = st.integers(0, len(SEEDS) - 1).flatmap(lambda i: st.tuples(st.just(i), mutated_yaml((SEEDS[i],))))
    big(given(cases)(lambda case: check_loaders(registry, *case)))()
