"""The template sandbox: a deployer's templates work; a hostile one is refused with a TemplateError."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import MINI_SET
from trafficscreen import ScreeningResult, TemplateError, render_guidance
from trafficscreen.content.loader import load_set
from trafficscreen.core.engine import Screener
from trafficscreen.errors import ContentError


@pytest.fixture(scope="module")
def result() -> ScreeningResult:
    return Screener(load_set(MINI_SET)).screen({"answers": {"deceived": True}})


def write_template(folder: Path, body: str, name: str = "guidance.txt.j2") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(body, encoding="utf-8")
    return folder


def test_deployer_template_overrides_one_format_only(result: ScreeningResult, tmp_path: Path) -> None:
    folder = write_template(
        tmp_path / "tpl", "{{ m['title'] }} / {{ g.heading }} / {% for c in g.contacts %}{{ c.name }};{% endfor %}\n"
    )
    out = render_guidance(result, jurisdiction="NO", lang="nb", templates=folder)
    assert out == (
        "Henvisningsveiledning: mulig menneskehandel med barn / Bekymring: tegn på mulig "
        "menneskehandel / Politiet (nødnummer);Barnevernsansvarlig ved sykehuset;"
        "Barnevernet i kommunen;"
    )
    # formats the folder does not provide fall back to the shipped templates
    assert render_guidance(result, jurisdiction="NO", templates=folder, format="html").startswith("<!DOCTYPE html>")


HOSTILE = [
    ("{{ g.__class__ }}", "attribute '__class__'"),
    ("{{ m['title'].__class__.__mro__[1].__subclasses__() }}", "attribute '__subclasses__'"),
    ("{{ g['__class__'] }}", "item '__class__'"),
    ("{{ g.contacts.__globals__ }}", "attribute '__globals__'"),
    ("{{ g.level.mro }}", "attribute 'mro'"),
    ("{{ g|attr('__class__') }}", "'attr' filter"),
    ("{{ __builtins__ }}", "name '__builtins__'"),
    ("{{ g.heading.format }}", "attribute 'format'"),
    ("{% set f = g.heading.encode %}{{ f.__self__ }}", "attribute '__self__'"),
]


@pytest.mark.parametrize(("body", "fragment"), HOSTILE, ids=[b for b, _ in HOSTILE])
def test_hostile_template_is_refused_before_it_runs(
    result: ScreeningResult, tmp_path: Path, body: str, fragment: str
) -> None:
    # hidden in a branch that never runs: still refused, with the file and line
    folder = write_template(tmp_path / "tpl", "line one\n{% if false %}\n" + body + "\n{% endif %}\n")
    with pytest.raises(TemplateError) as info:
        render_guidance(result, jurisdiction="GB", templates=folder)
    err = info.value
    assert isinstance(err, ContentError)
    assert fragment in err.message and "Python internals" in err.message
    assert err.location is not None and err.location.path.endswith("guidance.txt.j2") and err.location.line == 3


@pytest.mark.parametrize(
    "body",
    [
        "{{ g[('__cla' ~ 'ss__')] }}",  # a name built at run time
        "{% set n = '__cla' ~ 'ss__' %}{{ g.contacts[n] }}",
        "{{ g.heading[('__in' ~ 'it__')] }}",
    ],
)
def test_names_built_at_run_time_are_refused_by_the_sandbox(result: ScreeningResult, tmp_path: Path, body: str) -> None:
    folder = write_template(tmp_path / "tpl", body + "\n")
    with pytest.raises(TemplateError, match="which the sandbox refuses"):
        render_guidance(result, jurisdiction="GB", templates=folder)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("{{ g.contacts.append(1) }}", "'append' of a list, which the sandbox refuses"),  # read-only values
        ("{{ 'x' * 100000 }}", "more than 10000"),
        ("{{ 9 ** 999999 }}", "power above 64"),
        ("{{ range(10) }}", "value it was not given"),  # no globals
        ("{{ lipsum.__globals__ }}", "attribute '__globals__'"),
        ("{{ g.no_such_value }}", "value it was not given"),  # StrictUndefined
        ("{% for x in g.contacts %}{{ x.nope }}{% endfor %}", "value it was not given"),
        ("{{ g.heading ", "does not parse"),
    ],
)
def test_misbehaving_templates_fail_with_a_typed_error(
    result: ScreeningResult, tmp_path: Path, body: str, fragment: str
) -> None:
    folder = write_template(tmp_path / "tpl", body + "\n")
    with pytest.raises(TemplateError, match=fragment):
        render_guidance(result, jurisdiction="GB", templates=folder)


def test_missing_template_folder_is_a_template_error(result: ScreeningResult, tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="no such template folder"):
        render_guidance(result, jurisdiction="GB", templates=tmp_path / "absent")


def test_html_templates_are_autoescaped(result: ScreeningResult, tmp_path: Path) -> None:
    folder = write_template(tmp_path / "tpl", "<p>{{ g.reasons | join('|') }}{{ '<b>' }}</p>\n", "guidance.html.j2")
    out = render_guidance(result, jurisdiction="GB", templates=folder, format="html")
    assert "&lt;b&gt;" in out and "<b>" not in out
