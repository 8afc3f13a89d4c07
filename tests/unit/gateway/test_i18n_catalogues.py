"""The dashboard's translation catalogues (static/js/i18n/<lang>/<area>.js): every language
has every area and every key English has, with the same {placeholders}, and no empty text."""

import re
from pathlib import Path

import pytest

I18N = Path(__file__).resolve().parents[3] / "services/gateway/gateway/static/js/i18n"
ENTRY = re.compile(r'^\s*"([a-z0-9_.-]+)":\s*"((?:[^"\\]|\\.)*)",?\s*$', re.MULTILINE)
PLACEHOLDER = re.compile(r"\{(\w+)\}")
LANGUAGES = sorted(p.name for p in I18N.iterdir() if p.is_dir())
AREAS = sorted(p.stem for p in (I18N / "en").glob("*.js"))


def entries(lang: str, area: str) -> dict[str, str]:
    text = (I18N / lang / f"{area}.js").read_text(encoding="utf-8")
    found = dict(ENTRY.findall(text))
    # Every line between the braces must be an entry or a comment: a typo is not skipped.
    body = text[text.index("{") + 1:text.rindex("}")]
    lines = [line for line in body.splitlines() if line.strip() and not line.strip().startswith("//")]
    assert len(lines) == len(found), f"{lang}/{area}.js has lines that are not entries"
    return found


def test_catalogues_cover_english_and_nepali():
    assert {"en", "ne"} <= set(LANGUAGES)
    assert "common" in AREAS


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
@pytest.mark.parametrize("area", AREAS)
def test_catalogue_has_every_english_key_with_its_placeholders(lang, area):
    english, other = entries("en", area), entries(lang, area)
    assert set(other) == set(english), f"{lang}/{area}.js: keys differ from English"
    for key, text in english.items():
        assert other[key].strip(), f"{lang}/{area}.js: {key} is empty"
        assert set(PLACEHOLDER.findall(other[key])) == set(PLACEHOLDER.findall(text)), key


@pytest.mark.parametrize("area", AREAS)
def test_english_texts_are_not_empty(area):
    assert all(text.strip() for text in entries("en", area).values())
