"""Source labels -> model classes: normalisation, the label map file, reserved classes."""

import json
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path

from ailurus_ml.errors import BadLabelMap

BLANK = "blank"
UNKNOWN = "unknown"
# Source spellings of the reserved classes that need no label-map entry: an empty frame is
# "empty" in COCO Camera Traps (category 0), "blank" in Camtrap DP.
RESERVED_ALIASES = {"blank": BLANK, "empty": BLANK, "unknown": UNKNOWN}

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NOT_WORD = re.compile(r"[\W_]+")


def normalise_label(text: str) -> str:
    """Lowercase snake_case: ``"Anas platyrhynchos"`` -> ``"anas_platyrhynchos"``,
    ``"grayWolf"`` -> ``"gray_wolf"``, ``"PBE"`` -> ``"pbe"``; ``""`` when nothing is left."""
    folded = unicodedata.normalize("NFKC", text).strip()
    return _NOT_WORD.sub("_", _CAMEL_BOUNDARY.sub("_", folded)).strip("_").lower()


class LabelResolver:
    """Turns a source label into a class. Without a map, the source labels are the classes;
    with one, a label it does not name is unknown (``None``), except the reserved
    ``blank``/``unknown`` spellings, which always pass."""

    def __init__(self, label_map: Mapping[str, str] | None = None) -> None:
        self.label_map = dict(label_map or {})
        self._by_key = {normalise_label(key): normalise_label(value) for key, value in self.label_map.items()}

    def resolve(self, source_label: str) -> str | None:
        """The class of ``source_label``, or None when a label map is given and does not name it."""
        key = normalise_label(source_label)
        if key in self._by_key:
            return self._by_key[key]
        if key in RESERVED_ALIASES:
            return RESERVED_ALIASES[key]
        if self.label_map:
            return None
        return key or None


def load_label_map(path: Path) -> dict[str, str]:
    """Read a JSON object ``{"source label": "class", ...}``.

    Raises:
        BadLabelMap: the file is missing, not JSON, not an object of non-empty strings, or
            names one source label (after normalisation) with two different classes.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadLabelMap(f"label map {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadLabelMap(f"label map {path} cannot be read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise BadLabelMap(f"label map {path} is not JSON: {exc}") from None
    if not isinstance(data, dict) or not data:
        raise BadLabelMap(f'label map {path} must be a non-empty JSON object {{"source label": "class", ...}}')
    seen: dict[str, str] = {}
    for key, value in data.items():
        if not isinstance(value, str) or not normalise_label(value) or not normalise_label(key):
            raise BadLabelMap(f"label map {path}: {key!r} must map to a non-empty class name, not {value!r}")
        normalised = normalise_label(key)
        if normalised in seen and seen[normalised] != normalise_label(value):
            raise BadLabelMap(f"label map {path}: {key!r} is mapped twice, to {seen[normalised]!r} "
                              f"and {normalise_label(value)!r}")
        seen[normalised] = normalise_label(value)
    return data
