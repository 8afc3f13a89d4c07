"""Source labels -> classes: normalisation, the label map and its reserved classes."""

import json
from pathlib import Path

import pytest

from ailurus_ml.datasets.labels import LabelResolver, load_label_map, normalise_label
from ailurus_ml.errors import BadLabelMap, MlErrorCode


@pytest.mark.parametrize(("text", "expected"), [
    ("Anas platyrhynchos", "anas_platyrhynchos"), ("PBE", "pbe"), ("grayWolf", "gray_wolf"),
    ("  Red-Panda (adult) ", "red_panda_adult"), ("mouse__deer", "mouse_deer"), ("!!!", ""),
])
def test_normalise_label_snake_case(text: str, expected: str) -> None:
    assert normalise_label(text) == expected


def test_resolve_without_map_source_labels_are_classes() -> None:
    resolver = LabelResolver()
    assert resolver.resolve("Prionailurus bengalensis") == "prionailurus_bengalensis"
    assert resolver.resolve("Empty") == "blank"
    assert resolver.resolve("???") is None


def test_resolve_with_map_unnamed_label_unknown_reserved_pass() -> None:
    resolver = LabelResolver({"PBE": "leopard cat", "UNID": "unknown", "ghost": "blank"})
    assert resolver.resolve("pbe") == "leopard_cat"
    assert resolver.resolve("UNID") == "unknown"
    assert resolver.resolve("ghost") == "blank"
    assert resolver.resolve("TRA") is None
    assert resolver.resolve("blank") == "blank"
    assert resolver.resolve("empty") == "blank"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "map.json"
    path.write_text(text)
    return path


def test_load_label_map_valid_round_trips(tmp_path: Path) -> None:
    assert load_label_map(write(tmp_path, json.dumps({"PBE": "leopard_cat"}))) == {"PBE": "leopard_cat"}


@pytest.mark.parametrize(("text", "message"), [
    ("{not json", "not JSON"), ("[1, 2]", "JSON object"), ("{}", "JSON object"),
    ('{"PBE": 3}', "non-empty class name"), ('{"PBE": ""}', "non-empty class name"),
    ('{"PBE": "cat", "pbe": "dog"}', "mapped twice"),
])
def test_load_label_map_bad_file_raises(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(BadLabelMap, match=message) as raised:
        load_label_map(write(tmp_path, text))
    assert raised.value.code == MlErrorCode.BAD_LABEL_MAP


def test_load_label_map_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(BadLabelMap, match="does not exist"):
        load_label_map(tmp_path / "absent.json")
