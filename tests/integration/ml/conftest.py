"""One training run on the camtrapR stations (train A+B, test C) shared by the ML tests:
features are extracted once into a session cache, later runs read them."""

from pathlib import Path

import pytest

from ailurus_ml.cli import build_parser
from ailurus_ml.cli.train import train
from ailurus_ml.config import MlSettings
from ailurus_ml.manifest import DatasetManifest
from tests.support.ml_datasets import write_camtrapr_snapshot

# Few trials and views keep the suite well under a minute on 2 cores; the CLI defaults are larger.
TRIALS = 6
VIEWS = 2
SEED = 11


@pytest.fixture(scope="session")
def ml_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ml")


@pytest.fixture(scope="session")
def camtrapr_snapshot(ml_root: Path) -> DatasetManifest:
    return write_camtrapr_snapshot(ml_root / "blobs")


@pytest.fixture(scope="session")
def ml_settings(ml_root: Path, model_dir: Path, camtrapr_snapshot: DatasetManifest) -> MlSettings:
    return MlSettings(blob_root=ml_root / "blobs", cache_dir=ml_root / "cache", models_dir=ml_root / "models",
                      live_model_dir=model_dir, train_views=VIEWS, registry_uri=f"sqlite:///{ml_root / 'mlflow.db'}",
                      artifact_root=ml_root / "artifacts")


def train_args(dataset_id: str, *extra: str):
    return build_parser().parse_args(["train", "--dataset", dataset_id, "--trials", str(TRIALS), "--seed", str(SEED),
                                      *extra])


@pytest.fixture(scope="session")
def station_c_run(ml_settings: MlSettings, camtrapr_snapshot: DatasetManifest) -> dict:
    """The JSON document of ``ailurus train --holdout-sites StationC``."""
    return train(train_args(camtrapr_snapshot.id, "--holdout-sites", "StationC"), ml_settings)
