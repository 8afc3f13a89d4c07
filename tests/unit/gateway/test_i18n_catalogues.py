"""The dashboard's translation catalogues (static/js/i18n/<lang>/<area>.js): every language
has every area and every key English has, with the same {placeholders}, and no empty text;
every key a script asks t() for is in the catalogues, a script loads an area in every
language, and every key of a page's area is used."""

import json
import re
from pathlib import Path

import pytest

I18N = Path(__file__).resolve().parents[3] / "services/gateway/gateway/static/js/i18n"
ENTRY = re.compile(r'^\s*"([a-z0-9_.-]+)":\s*"((?:[^"\\]|\\.)*)",?\s*$', re.MULTILINE)
PLACEHOLDER = re.compile(r"\{(\w+)\}")
LANGUAGES = sorted(p.name for p in I18N.iterdir() if p.is_dir())
AREAS = sorted(p.stem for p in (I18N / "en").glob("*.js"))


def entries(lang: str, area: str) -> dict[str, str]:
    """A catalogue's {key: text}, escapes decoded (the text the page shows)."""
    text = (I18N / lang / f"{area}.js").read_text(encoding="utf-8")
    found = {key: json.loads(f'"{raw}"') for key, raw in ENTRY.findall(text)}
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


# The pages' side: what they ask t() for, and which catalogues they load.
SCRIPTS = {path: path.read_text(encoding="utf-8") for path in I18N.parent.rglob("*.js") if I18N not in path.parents}
LITERAL_KEY = re.compile(r"""\bt\(\s*"([a-z0-9_.-]+)\"""")
KEY_PREFIX = re.compile(r"\bt\(`([a-z0-9_.-]+\.)\$\{")  # t(`models.metric.${metric}`)
CATALOGUE_IMPORT = re.compile(r"""^import \w+ from "[./]+/i18n/(\w+)/(\w+)\.js";$""", re.MULTILINE)


def english_keys() -> set[str]:
    return {key for area in AREAS for key in entries("en", area)}


@pytest.mark.parametrize("path", sorted(SCRIPTS), ids=lambda path: path.name)
def test_script_asks_only_for_keys_the_english_catalogues_have(path):
    missing = set(LITERAL_KEY.findall(SCRIPTS[path])) - english_keys()
    assert not missing, f"{path.name} asks t() for keys no catalogue has: {sorted(missing)}"


@pytest.mark.parametrize("path", sorted(SCRIPTS), ids=lambda path: path.name)
def test_script_loads_an_area_in_every_language(path):
    loaded: dict[str, set[str]] = {}
    for lang, area in CATALOGUE_IMPORT.findall(SCRIPTS[path]):
        loaded.setdefault(area, set()).add(lang)
    for area, langs in loaded.items():
        assert langs == set(LANGUAGES), f"{path.name} loads {area} only in {sorted(langs)}"


# common is the shared stock of words for pages still to be translated; a page area's key must
# be in use.
@pytest.mark.parametrize("area", [area for area in AREAS if area != "common"])
def test_every_english_key_is_used_by_a_script(area):
    """A key no script names (as a string, or through a t(`prefix.${...}`) template) is a text
    the page lost: a translation nobody sees, or a page that now shows English instead."""
    text = "\n".join(SCRIPTS.values())
    prefixes = set(KEY_PREFIX.findall(text))
    unused = [key for key in entries("en", area)
              if f'"{key}"' not in text and not any(key.startswith(prefix) for prefix in prefixes)]
    assert not unused, f"{area}: keys no script uses: {unused}"
