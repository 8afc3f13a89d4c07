"""Plain factories for the registry tests: a registry in a temporary folder, model folders, metrics."""

import json
import shutil
from pathlib import Path

from ailurus_ml.registry import Registry

MODEL_NAME = "ailurus_classifier"


def make_registry(root: Path) -> Registry:
    """A real MLflow registry: sqlite file and artifact folder under ``root``."""
    return Registry(registry_uri=f"sqlite:///{root / 'mlflow.db'}", artifact_root=root / "artifacts")


def evaluation(*, macro_recall: float, red_panda_recall: float | None, live_macro_recall: float | None = None,
               live_red_panda_recall: float | None = None) -> dict:
    """Evaluation metrics as training logs them: flat numbers, ``live_*`` beside, nested per-class."""
    metrics: dict = {"macro_recall": macro_recall, "red_panda_recall": red_panda_recall, "top1": macro_recall + 0.05,
                     "per_class": {"red_panda": {"precision": 0.9, "recall": red_panda_recall, "support": 12}},
                     "confusion_matrix": {"labels": ["red_panda", "other"], "counts": [[10, 2], [1, 30]]}}
    if live_macro_recall is not None:
        metrics["live_macro_recall"] = live_macro_recall
    if live_red_panda_recall is not None:
        metrics["live_red_panda_recall"] = live_red_panda_recall
    return metrics


def write_model_folder(root: Path, *, name: str, labels: list[str], onnx_bytes: bytes = b"not a real onnx") -> Path:
    """A small model folder with its own label set (the registry checks files, it does not run them)."""
    folder = root / name
    (folder / "1").mkdir(parents=True)
    (folder / "config.pbtxt").write_text(f'name: "{name}"\nbackend: "onnxruntime"\n', encoding="utf-8")
    (folder / "labels.txt").write_text("\n".join(labels) + "\n", encoding="utf-8")
    (folder / "taxonomy.json").write_text(json.dumps({"version": "test-1", "groups": {}}), encoding="utf-8")
    (folder / "1" / "model.onnx").write_bytes(onnx_bytes)
    return folder


def copy_model_folder(source: Path, dest: Path) -> Path:
    """A private copy of the built model folder (symlinks resolved): other sessions rebuild the
    shared one in place, and a test must not see it change under it."""
    return Path(shutil.copytree(source, dest / source.name, symlinks=False))


def held_out_report() -> dict:
    """A held-out evaluation in the shape ``ailurus train`` logs (two classes, two test sites)."""
    return {
        "train_sites": ["StationA"], "test_sites": ["StationB", "StationC"], "train_images": 10, "test_images": 4,
        "labels": ["pbe", "unknown"],
        "trained": {"species": {"per_class": {"pbe": {"support": 4, "predicted": 3, "precision": 1.0, "recall": 0.75}},
                                "confusion": {"rows_true": ["pbe"], "columns_predicted": ["pbe", "unknown"],
                                              "matrix": [[3, 1]]}},
                    "groups": {"confusion": {"rows_true": ["mammal"], "columns_predicted": ["mammal"], "matrix": [[4]]}}},
        "live": {"model": "ailurus_classifier:1",
                 "groups": {"confusion": {"rows_true": ["mammal"], "columns_predicted": ["mammal", "blank"],
                                          "matrix": [[3, 1]]}}},
        "per_site": {"StationB": {"images": 2, "top1": 1.0, "group_top1": 1.0, "live_group_top1": 0.5},
                     "StationC": {"images": 2, "top1": 0.5, "group_top1": 1.0, "live_group_top1": 1.0}},
        "training_curve": [{"epoch": 1, "loss": 1.2}, {"epoch": 2, "loss": 0.7}],
    }
