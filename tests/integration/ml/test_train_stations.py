"""Train on Stations A+B, evaluate on C: what the pipeline really reports."""

import json
from pathlib import Path

import pytest

from ailurus_ml.cli import main
from ailurus_ml.cli.train import train
from ailurus_ml.config import get_settings
from tests.integration.ml.conftest import SEED, TRIALS, train_args


def _in_unit(value: float | None) -> bool:
    return value is None or 0.0 <= value <= 1.0


def test_train_station_c_metrics_are_in_range_and_counted(station_c_run):
    report, summary = station_c_run["report"], station_c_run["summary"]
    species = report["trained"]["species"]
    assert report["train_sites"] == ["StationA", "StationB"] and report["test_sites"] == ["StationC"]
    assert report["test_images"] == 37
    for key in ("top1", "top3", "top1_seen", "macro_recall", "macro_recall_seen", "ece"):
        assert _in_unit(species[key]), key
    for block in (species, report["trained"]["groups"], report["live"]["groups"]):
        assert sum(map(sum, block["confusion"]["matrix"])) == 37
    assert summary["unseen_classes"] == ["EGY", "TRA"]
    assert species["unseen_images"] == 26
    assert species["top3"] >= species["top1"]


def test_train_station_c_no_red_pandas_gives_null_recall(station_c_run):
    assert station_c_run["summary"]["red_panda_recall"] is None
    assert station_c_run["summary"]["live_red_panda_recall"] is None


def test_train_station_c_beats_or_matches_live_model_by_group_on_seen_species(station_c_run):
    summary = station_c_run["summary"]
    assert summary["group_top1_seen"] >= summary["live_group_top1_seen"]


def test_train_station_c_labels_are_its_own(station_c_run):
    labels = Path(station_c_run["model"]["folder"], "labels.txt").read_text().splitlines()
    assert labels == ["MNE", "PBE", "VTA", "unknown"]  # UNID folded into unknown, never trained as a class


def test_train_same_seed_same_metrics(station_c_run, ml_settings, camtrapr_snapshot, tmp_path):
    again = train(train_args(camtrapr_snapshot.id, "--holdout-sites", "StationC", "--out", str(tmp_path)), ml_settings)
    assert again["summary"] == station_c_run["summary"]
    assert again["report"]["params"] == station_c_run["report"]["params"]


def test_train_cli_json_and_refuses_gpu_methods(ml_settings, camtrapr_snapshot, station_c_run, monkeypatch, capsys,
                                                tmp_path):
    monkeypatch.setenv("ML_BLOB_ROOT", str(ml_settings.blob_root))
    monkeypatch.setenv("ML_CACHE_DIR", str(ml_settings.cache_dir))
    monkeypatch.setenv("ML_LIVE_MODEL_DIR", str(ml_settings.live_model_dir))
    monkeypatch.setenv("ML_TRAIN_VIEWS", str(ml_settings.train_views))
    get_settings.cache_clear()
    try:
        code = main(["train", "--dataset", camtrapr_snapshot.id, "--holdout-sites", "StationC", "--trials", str(TRIALS),
                     "--seed", str(SEED), "--out", str(tmp_path), "--json"])
        doc = json.loads(capsys.readouterr().out)
        assert code == 0 and doc["summary"] == station_c_run["summary"]
        assert Path(doc["evaluation"]["confusion_species"]).read_bytes().startswith(b"\x89PNG")
        assert main(["train", "--dataset", camtrapr_snapshot.id, "--method", "full", "--json"]) == 1
        assert json.loads(capsys.readouterr().out)["error"]["code"] == "method_not_built"
        assert main(["train", "--dataset", "missing-000000000000", "--json"]) == 1
        assert json.loads(capsys.readouterr().out)["error"]["code"] == "snapshot_not_found"
    finally:
        get_settings.cache_clear()


@pytest.mark.slow
def test_train_leave_one_site_out_reports_every_station(ml_settings, camtrapr_snapshot):
    doc = train(train_args(camtrapr_snapshot.id, "--leave-one-site-out"), ml_settings)
    assert [f["test_sites"] for f in doc["folds"]] == [["StationA"], ["StationB"], ["StationC"]]
    assert all(_in_unit(v) for v in doc["mean"].values())
