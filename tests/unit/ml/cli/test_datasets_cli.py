"""``ailurus datasets`` through ``main([...])`` on the local blob store: one JSON document on
stdout with --json, tables otherwise, errors as a message and a non-zero exit."""

import json
from pathlib import Path

import pytest

from ailurus_ml.cli import main
from tests.support.datasets import CAMTRAPDP_EXAMPLE_DIR, STATIONS_COUNTS, STATIONS_DIR, STATIONS_IMAGES


@pytest.fixture(autouse=True)
def blob_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "blobs"
    monkeypatch.setenv("ML_BLOB_BACKEND", "local")
    monkeypatch.setenv("ML_BLOB_ROOT", str(root))
    return root


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    status = main([*argv, "--json"])
    return status, json.loads(capsys.readouterr().out)


def test_import_list_show_json_round_trip(capsys: pytest.CaptureFixture[str], blob_root: Path) -> None:
    status, imported = run_json(capsys, "datasets", "import", str(STATIONS_DIR), "--format", "folder")
    assert status == 0
    snapshot = imported["snapshot"]
    assert imported["created"] is True and imported["images_written"] == STATIONS_IMAGES
    assert snapshot["per_site_class"] == STATIONS_COUNTS
    assert snapshot["id"].startswith("camtrapr-stations-")
    assert (blob_root / "datasets" / "snapshots" / f"{snapshot['id']}.json").is_file()

    status, again = run_json(capsys, "datasets", "import", str(STATIONS_DIR), "--format", "folder")
    assert (status, again["created"], again["snapshot"]["id"]) == (0, False, snapshot["id"])

    status, listed = run_json(capsys, "datasets", "list")
    assert status == 0 and [s["id"] for s in listed["snapshots"]] == [snapshot["id"]]
    status, shown = run_json(capsys, "datasets", "show", snapshot["id"])
    assert status == 0
    assert shown["snapshot"]["per_site"] == {"StationA": 8, "StationB": 23, "StationC": 37}
    assert shown["snapshot"]["per_class"] == {"egy": 9, "mne": 10, "pbe": 26, "tra": 17, "unid": 1, "vta": 5}


def test_import_label_map_and_name_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    label_map = tmp_path / "map.json"
    label_map.write_text(json.dumps({"PBE": "leopard_cat", "VTA": "civet", "UNID": "unknown"}))
    status, imported = run_json(capsys, "datasets", "import", str(STATIONS_DIR), "--format", "folder",
                                "--name", "cats", "--label-map", str(label_map), "--layout", "site/class")
    assert status == 0
    snapshot = imported["snapshot"]
    assert snapshot["id"].startswith("cats-")
    assert snapshot["per_class"] == {"civet": 5, "leopard_cat": 26, "unknown": 1}
    assert snapshot["problems_per_code"] == {"unknown_label": 9 + 10 + 17}
    assert len(snapshot["problem_list"]) == 36


def test_import_camtrapdp_human_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["datasets", "import", str(CAMTRAPDP_EXAMPLE_DIR), "--format", "camtrapdp"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("camtrap-dp-example-dataset-") and "new snapshot" in out
    assert "ardea" in out and "remote_file 413" in out and "... and 393 more" in out
    assert main(["datasets", "list"]) == 0
    assert "camtrap-dp-example-dataset-" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "code", "message"), [
    (["datasets", "import", "/no/such/path", "--format", "folder"], "bad_source", "does not exist"),
    (["datasets", "import", str(STATIONS_DIR), "--format", "coco"], "bad_source", "not a file"),
    (["datasets", "import", str(STATIONS_DIR), "--format", "camtrapdp"], "bad_source", "no datapackage.json"),
    (["datasets", "import", str(STATIONS_DIR), "--format", "folder", "--name", "Bad Name"], "invalid_name", "name"),
    (["datasets", "import", str(STATIONS_DIR), "--format", "folder", "--label-map", "/no/map.json"],
     "bad_label_map", "does not exist"),
    (["datasets", "import", str(STATIONS_DIR), "--format", "coco", "--layout", "class"], "bad_source", "--layout"),
    (["datasets", "show", "nothing-0123456789ab"], "snapshot_not_found", "no snapshot"),
])
def test_user_mistake_clear_error_no_traceback(capsys: pytest.CaptureFixture[str], argv: list[str], code: str,
                                               message: str) -> None:
    assert main([*argv, "--json"]) == 1
    captured = capsys.readouterr()
    error = json.loads(captured.out)["error"]
    assert error["code"] == code and message in error["message"]
    assert captured.err.startswith("ailurus: error: ") and "Traceback" not in captured.err
    assert main(argv) == 1
    assert capsys.readouterr().out == ""


def test_bad_settings_clear_error(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ML_BLOB_BACKEND", "azure")  # without a connection string or account URL
    assert main(["datasets", "list"]) == 1
    assert "bad settings" in capsys.readouterr().err


def test_bad_format_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["datasets", "import", str(STATIONS_DIR), "--format", "zip"])
    assert raised.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_list_empty_store_says_how_to_import(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["datasets", "list"]) == 0
    assert "no snapshots yet" in capsys.readouterr().out
    status, listed = run_json(capsys, "datasets", "list")
    assert listed == {"snapshots": []}
