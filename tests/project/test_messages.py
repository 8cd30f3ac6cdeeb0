from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from trafficscreen import messages
from trafficscreen.core.engine import Screener
from trafficscreen.errors import UnsupportedLanguageError
from trafficscreen.messages import MESSAGES, check_lang, msg
from trafficscreen.model.common import LANGUAGES, Form
from trafficscreen.model.result import ScreeningResult
from trafficscreen.render.text import render_text


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_language_has_every_message_with_the_same_placeholders() -> None:
    """The whole catalogue: the engine's words, the form's and cards' (server.*) and FHIR's (fhir.*)."""
    assert set(MESSAGES) == set(LANGUAGES)
    keys = set(MESSAGES["en"])
    for lang in LANGUAGES:
        assert not keys - set(MESSAGES[lang]), f"{lang} lacks {sorted(keys - set(MESSAGES[lang]))}"
        assert not set(MESSAGES[lang]) - keys, f"{lang} has what English lacks: {sorted(set(MESSAGES[lang]) - keys)}"
        for key in keys:
            assert MESSAGES[lang][key].strip(), (lang, key)
            assert _fields(MESSAGES[lang][key]) == _fields(MESSAGES["en"][key]), (lang, key)


def test_the_catalogue_covers_every_area() -> None:
    for prefix in ("level.", "text.", "form.", "server.", "server.card.", "fhir.", "fhir.adaptive."):
        assert any(key.startswith(prefix) for key in MESSAGES["en"]), prefix
    for key in MESSAGES["en"]:
        assert re.fullmatch(r"[a-z_]+(?:[.-][a-z_]+)*", key), key


def test_no_other_module_keeps_a_table_of_words_by_language() -> None:
    src = Path(messages.__file__).parent
    langs = "|".join(LANGUAGES)
    table = re.compile(rf"""^\s*["'](?:{langs})["']\s*:\s*\{{""", re.MULTILINE)
    found = [
        str(path.relative_to(src))
        for path in sorted(src.rglob("*.py"))
        if path != Path(messages.__file__) and table.search(path.read_text(encoding="utf-8"))
    ]
    assert not found, f"words by language belong in trafficscreen/messages.py: {found}"


def test_every_form_has_a_label() -> None:
    for lang in LANGUAGES:
        for form in Form:
            assert msg(lang, f"form.{form.value}")


def test_none_is_never_worded_as_negative() -> None:
    for lang in LANGUAGES:
        text = msg(lang, "level.none").lower()
        for word in ("negative", "negativ", "not trafficked", "safe", "seguro", "trygg"):
            assert word not in text, (lang, word)


def test_unsupported_language() -> None:
    with pytest.raises(UnsupportedLanguageError, match="'fr' is not supported"):
        check_lang("fr")


def test_unsupported_language_is_a_typed_error_everywhere(mini_screener: Screener) -> None:
    with pytest.raises(UnsupportedLanguageError, match="'fr' is not supported"):
        msg("fr", "level.none")
    with pytest.raises(UnsupportedLanguageError, match="'None' is not supported"):
        check_lang(None)  # type: ignore[arg-type]  # a wrong type on purpose: the refusal is tested
    with pytest.raises(UnsupportedLanguageError):
        Screener(mini_screener.set, lang="pt-BR")
    with pytest.raises(UnsupportedLanguageError):
        mini_screener.screen({"answers": {}}, lang="fr")
    # a saved result that claims another language cannot be rendered into a KeyError
    saved = mini_screener.screen({"answers": {}}).model_dump(mode="json")
    result = ScreeningResult.model_validate({**saved, "lang": "fr"})
    with pytest.raises(UnsupportedLanguageError, match="'fr' is not supported"):
        render_text(result)
