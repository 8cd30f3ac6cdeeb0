"""Jurisdiction packs, site files and message catalogues: loading, merging and validation."""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from paths import ROOT
from trafficscreen.authoring.validate import validate_paths, validate_referral
from trafficscreen.content.referral import (
    check_catalogue,
    fill,
    find_pack,
    load_messages,
    load_pack,
    load_site,
    merge,
    referral_root,
    shipped_packs,
)
from trafficscreen.errors import SchemaError, SetNotFoundError, YAMLSyntaxError
from trafficscreen.model.common import LANGUAGES, Level
from trafficscreen.model.referral import Contact, SiteSlot, Step, text_in

SITE = ROOT / "examples" / "site-example.yaml"
DOMAIN_NUMBERS = {
    # the numbers as the referral-route facts give them; a pack must carry them character for character
    "GB-ENG-WLS": {"999", "08000 121 700"},
    "NO": {"112"},
    "PT": {"112", "964 608 288", "116 000"},
    "US": {"911", "1-888-373-7888", "1-800-843-5678"},
}


def test_shipped_packs_and_aliases() -> None:
    codes = {code for code, _v, _p in shipped_packs()}
    assert codes == {"GB-ENG-WLS", "NO", "PT", "US"}
    assert load_pack("GB").jurisdiction == "GB-ENG-WLS"
    assert load_pack("gb-eng-wls").jurisdiction == "GB-ENG-WLS"
    assert load_pack("no@1.0.0").version == "1.0.0"
    with pytest.raises(SetNotFoundError, match=r"has no version 9\.9\.9"):
        find_pack("NO@9.9.9")
    with pytest.raises(SetNotFoundError, match="packs: GB-ENG-WLS, NO, PT, US"):
        find_pack("SE")


@pytest.mark.parametrize("code", sorted(DOMAIN_NUMBERS))
def test_pack_numbers_sources_and_honesty(code: str) -> None:
    pack = load_pack(code)
    numbers = {c.phone for c in pack.contacts if c.phone} | {c.sms for c in pack.contacts if c.sms}
    numbers.add(pack.emergency)
    assert {n for n in numbers if n} - {"233733"} == DOMAIN_NUMBERS[code]
    assert not pack.verified  # the live numbers were not re-checked for this version
    entries: tuple[Contact | Step, ...] = (*pack.contacts, *pack.steps)
    for entry in entries:
        assert entry.source and entry.checked <= date.today()
        assert entry.verified is False
    for lang in LANGUAGES:
        assert text_in(pack.note, lang) and "2026" in text_in(pack.note, lang)


def test_us_pack_texts_233733() -> None:
    hotline = next(c for c in load_pack("US").contacts if c.id == "trafficking_hotline")
    assert hotline.sms == "233733" and hotline.phone == "1-888-373-7888"


def test_shipped_referral_content_validates_with_only_unverified_warnings() -> None:
    issues = validate_paths([referral_root(), SITE])
    assert [i for i in issues if i.severity == "error"] == []
    warnings = [i.message for i in issues if i.severity == "warning"]
    assert len(warnings) == 4 and all("is not verified" in w for w in warnings)


def copy_pack(tmp_path: Path, code: str = "NO") -> Path:
    dest = tmp_path / "referral" / code / "1.0.0.yaml"
    dest.parent.mkdir(parents=True)
    shutil.copy(referral_root() / code / "1.0.0.yaml", dest)
    return dest


def test_contact_without_source_or_checked_is_refused(tmp_path: Path) -> None:
    pack = copy_pack(tmp_path)
    text = pack.read_text(encoding="utf-8")
    lines = text.splitlines()
    n = next(i for i, line in enumerate(lines) if line.startswith('    source: "Norwegian police'))
    pack.write_text(text.replace(lines[n] + "\n", ""), encoding="utf-8")
    issues = validate_paths([pack])
    assert len(issues) == 1 and issues[0].severity == "error"
    assert issues[0].message.startswith("missing required key 'source'")
    assert str(issues[0].location).startswith(f"{pack}:")
    with pytest.raises(SchemaError, match="missing required key 'source'"):
        load_pack(pack)

    pack.write_text(
        text.replace("    checked: 2026-11-23\n    verified: false\nsite_slots:", "    verified: false\nsite_slots:"),
        encoding="utf-8",
    )
    issues = validate_paths([pack])
    assert [i.message[:30] for i in issues if i.severity == "error"] == ["missing required key 'checked'"]


def test_old_and_future_checks_draw_warnings(tmp_path: Path) -> None:
    pack = copy_pack(tmp_path, "PT")
    old = (date.today() - timedelta(days=400)).isoformat()
    text = pack.read_text(encoding="utf-8")
    pack.write_text(text.replace("checked: 2026-11-23", f"checked: {old}", 1), encoding="utf-8")
    warnings = [i for i in validate_referral(pack, "referral-pack") if "more than a year ago" in i.message]
    assert len(warnings) == 1 and "step 'public_crime'" in warnings[0].message
    assert warnings[0].location.line is not None
    # relative to the day given, not a fixed date
    assert not [
        i
        for i in validate_referral(pack, "referral-pack", today=date.today() - timedelta(days=100))
        if "more than a year ago" in i.message
    ]
    future = validate_referral(pack, "referral-pack", today=date.fromisoformat(old) - timedelta(days=1))
    assert any("in the future" in i.message for i in future)


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ('phone: "112"', 'phone: "call the police"', "a phone number is digits"),
        ("url: https://eportugal", "url: javascript:alert(1)//eportugal", "a url starts with https://"),
        ("  - id: emergency\n", "  - id: emergency\n    colour: red\n", "unknown key 'colour'"),
        ('  pt: "Contactos e regras', '  pt_BR: "Contactos e regras', "unknown key 'pt_BR'"),
        ("jurisdiction: PT", "jurisdiction: PT-LIS", "it must be PT-LIS/1.0.0.yaml"),
        (
            '    name: {en: "Missing children line", pt: "Linha SOS Criança Desaparecida", '
            'nb: "Linje for savnede barn"}',
            '    name: {en: "Missing children line"}',
            "contacts.2.name: no pt, nb text",
        ),
    ],
)
def test_bad_pack_is_one_located_error(tmp_path: Path, old: str, new: str, fragment: str) -> None:
    pack = copy_pack(tmp_path, "PT")
    text = pack.read_text(encoding="utf-8")
    assert old in text
    pack.write_text(text.replace(old, new, 1), encoding="utf-8")
    errors = [i for i in validate_paths([pack]) if i.severity == "error"]
    assert len(errors) == 1 and fragment in errors[0].message
    assert re.match(rf"{re.escape(str(pack))}:\d+:\d+$", str(errors[0].location))


def test_bare_no_gets_a_hint(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    site.write_text("kind: site\nid: oslo-test\nname: Test\njurisdiction: NO\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r'write the code in quotes \("NO"\)') as info:
        load_site(site)
    assert str(info.value).startswith(f"{site}:4:")


def test_site_merges_by_id_and_fills_slots() -> None:
    pack, site = load_pack("GB"), load_site(SITE)
    routes = merge(pack, site)
    assert routes.open_slots == ()
    ids = [c.id for c in routes.contacts_at(Level.REFER)]
    assert ids == ["emergency", "safeguarding_lead", "childrens_services", "helpline"]
    assert [c.id for c in routes.contacts_at(Level.NONE)] == ["safeguarding_lead", "helpline"]
    step = next(s for s in routes.steps if s.id == "safeguard_first")
    assert step.verified and "safeguarding team" in text_in(step.text, "en")
    assert routes.local_ids == {"safeguarding_lead", "childrens_services", "safeguard_first"}
    bare = merge(pack, None)
    assert {s.id for s in bare.open_slots} == {"safeguarding_lead", "childrens_services"}
    assert all(isinstance(x, (Contact, SiteSlot)) for x in bare.contacts_at(Level.URGENT))


def test_site_file_rules(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    base = (
        "kind: site\nid: t-site\nname: T\njurisdiction: US\ncontacts:\n"
        "  - {id: cps, order: 30, levels: [refer], name: CPS, role: r, %s}\n"
    )
    site.write_text(base % "phone: '555 0100', checked: 2026-01-01, verified: true", encoding="utf-8")
    with pytest.raises(SchemaError, match="missing required key 'source'"):
        load_site(site)
    site.write_text(base % "source: county list, checked: 2026-01-01, verified: true", encoding="utf-8")
    with pytest.raises(SchemaError, match="needs a way to reach it"):
        load_site(site)
    site.write_text(
        base
        % "how: 'ask the operator', source: county list, checked: 2026-01-01, verified: true"
        + "  - {id: cps, order: 31, levels: [refer], name: X, role: r, how: h, source: s s,"
        " checked: 2026-01-01, verified: true}\n",
        encoding="utf-8",
    )
    with pytest.raises(SchemaError, match="duplicated contact id 'cps'"):
        load_site(site)
    site.write_text("kind: site\nid: t\nname: T\njurisdiction: US\n  bad: [\n", encoding="utf-8")
    with pytest.raises(YAMLSyntaxError):
        load_site(site)


def test_catalogues_have_the_same_keys_and_placeholders() -> None:
    en = load_messages("en")
    for lang in LANGUAGES:
        msgs = load_messages(lang)
        assert set(msgs) == set(en), lang
        assert check_catalogue(referral_root() / "messages" / f"{lang}.yaml") == []
        for key, text in msgs.items():
            assert set(re.findall(r"\{([a-z_]+)\}", text)) == set(re.findall(r"\{([a-z_]+)\}", en[key])), key
        if lang != "en":  # really translated, not copied
            same = [k for k in en if msgs[k] == en[k] and len(en[k]) > 12]
            assert same == [], (lang, same)


def test_missing_or_unknown_message_fails_validation(tmp_path: Path) -> None:
    folder = tmp_path / "messages"
    shutil.copytree(referral_root() / "messages", folder)
    nb = folder / "nb.yaml"
    text = nb.read_text(encoding="utf-8")
    text = re.sub(r"\n  rec\.codes: [^\n]*", "", text)
    text = text.replace(
        '  rise: "Svar som fortsatt mangler, kan heve nivået til: {level}."',
        '  rise: "Svar som fortsatt mangler, kan heve nivået."\n  rec.kodes: "x"',
    )
    nb.write_text(text, encoding="utf-8")
    errors = [i for i in validate_paths([folder]) if i.severity == "error"]
    messages = sorted(i.message for i in errors)
    assert messages == [
        "message 'rise' must use the placeholders {level}",
        "missing message 'rec.codes' (present in en.yaml)",
        "unknown message 'rec.kodes' (not in en.yaml)",
    ]
    assert all(str(i.location).startswith(str(nb)) for i in errors)


def test_fill_reads_no_attributes() -> None:
    assert fill("{a} and {b}", a="1") == "1 and {b}"
    assert fill("{a.__class__} {0}", a="x") == "{a.__class__} {0}"
