from __future__ import annotations

import string

import pytest

from trafficscreen.errors import UnsupportedLanguageError
from trafficscreen.messages import MESSAGES, check_lang, msg
from trafficscreen.model.common import LANGUAGES, Form


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_language_has_every_message_with_the_same_placeholders() -> None:
    assert set(MESSAGES) == set(LANGUAGES)
    keys = set(MESSAGES["en"])
    for lang in LANGUAGES:
        assert set(MESSAGES[lang]) == keys, f"{lang}: {keys ^ set(MESSAGES[lang])}"
        for key in keys:
            assert MESSAGES[lang][key].strip(), (lang, key)
            assert _fields(MESSAGES[lang][key]) == _fields(MESSAGES["en"][key]), (lang, key)


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
