"""The exported model folder: ONNX equals torch, its own labels, the taxonomy loads, and the
real Triton serves it under its own name (through promote: tests/integration/ml/test_serving_switch.py)."""

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch

from ailurus_common.taxonomy import Taxonomy
from ailurus_ml.export import fused_model
from ailurus_ml.features import ViewSpec, plain_pixels
from ailurus_ml.head import LinearHead
from ailurus_tools.triton.repository import load_config
from tests.support.ml_datasets import camtrapr_items


@pytest.fixture(scope="module")
def folder(station_c_run) -> Path:
    return Path(station_c_run["model"]["folder"])


@pytest.fixture(scope="module")
def station_c_pixels() -> np.ndarray:
    pairs = [p for p in camtrapr_items() if p[0].site == "StationC"][:4]
    images = {item.sha256: data for item, data in pairs}
    return plain_pixels(images, list(images), ViewSpec(224, 0.875, 0))


def _head_from_training(folder: Path, station_c_run) -> tuple[LinearHead, float]:
    """The head as exported (read back from the graph's initialisers) and its threshold."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(folder / "1" / "model.onnx")).graph
    weights = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    weight, bias = weights["head.weight"], weights["head.bias"]
    labels = (folder / "labels.txt").read_text().splitlines()
    return LinearHead(weight[:-1], bias[:-1], labels[:-1]), station_c_run["report"]["unknown_threshold"]


def test_export_onnx_answers_its_own_labels_and_equals_torch(folder, station_c_run, station_c_pixels):
    session = ort.InferenceSession(str(folder / "1" / "model.onnx"), providers=["CPUExecutionProvider"])
    onnx_probs = session.run(["probabilities"], {"image": station_c_pixels})[0]
    labels = (folder / "labels.txt").read_text().splitlines()
    assert onnx_probs.shape == (4, len(labels))
    assert np.allclose(onnx_probs.sum(axis=1), 1.0, atol=1e-5)
    head, threshold = _head_from_training(folder, station_c_run)
    model, torch_labels = fused_model(head, threshold)
    with torch.no_grad():
        torch_probs = model(torch.from_numpy(station_c_pixels)).numpy()
    assert torch_labels == labels
    assert np.abs(onnx_probs - torch_probs).max() < 1e-4


def test_export_config_and_taxonomy_load(folder):
    config = load_config(folder / "config.pbtxt")
    assert config.name == folder.name != "ailurus_classifier"
    assert config.input[0].name == "image" and list(config.input[0].dims) == [224, 224, 3]
    labels = (folder / "labels.txt").read_text().splitlines()
    assert config.output[0].name == "probabilities" and list(config.output[0].dims) == [len(labels)]
    taxonomy = Taxonomy.load(folder)
    assert [taxonomy.group_of(i).value for i in range(len(labels))] == ["mammal"] * len(labels)
    assert json.loads((folder / "training.json").read_text())["test_sites"] == ["StationC"]
