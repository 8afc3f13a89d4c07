"""The torch side: the served backbone cut at its 1280-d pooled features, and the same
backbone with a trained linear head fused on top, both exported to ONNX with the serving
input contract (uint8 RGB NHWC in, normalisation in the graph).
"""

import hashlib
import io
from pathlib import Path

import numpy as np
import torch

from ailurus_tools.model.build import OPSET, export_onnx
from ailurus_tools.model.network import INPUT_SIZE_PX, MEAN_RGB, STDDEV_RGB, load_backbone

FEATURES_OUTPUT = "features"
FEATURE_DIM = 1280


class FeatureModel(torch.nn.Module):
    """uint8 NHWC -> pooled features ``[N, 1280]`` (the input of the served classifier's fc)."""

    def __init__(self, backbone: torch.nn.Module) -> None:
        super().__init__()
        self.backbone = backbone

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x = ((image.to(torch.float32) - MEAN_RGB) / STDDEV_RGB).permute(0, 3, 1, 2)
        # The backbone's own forward pools with AdaptiveAvgPool2d(1): the spatial mean.
        return self.backbone.extract_features(x).mean(dim=(2, 3))


class FusedClassifier(torch.nn.Module):
    """Backbone + linear head + softmax, with the calibrated ``unknown`` rule in the graph.

    Where the best probability stays under ``unknown_threshold``, every other label's
    probability is halved and the mass goes to ``unknown``: unknown then has at least 0.5
    and wins, the rows still sum to 1, and the order of the other labels (the top-k a
    reviewer sees) is kept.
    """

    def __init__(self, features: FeatureModel, weight: np.ndarray, bias: np.ndarray, *, unknown_index: int,
                 unknown_threshold: float) -> None:
        super().__init__()
        self.features = features
        self.head = torch.nn.Linear(weight.shape[1], weight.shape[0])
        with torch.no_grad():
            self.head.weight.copy_(torch.from_numpy(weight.astype(np.float32)))
            self.head.bias.copy_(torch.from_numpy(bias.astype(np.float32)))
        self.unknown_index = unknown_index
        self.unknown_threshold = float(unknown_threshold)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        probs = torch.softmax(self.head(self.features(image)), dim=1)
        return apply_unknown_rule(probs, self.unknown_index, self.unknown_threshold)


def apply_unknown_rule(probs: torch.Tensor, unknown_index: int, threshold: float) -> torch.Tensor:
    """The rule of ``FusedClassifier`` (torch, so it exports and numpy can share it)."""
    unsure = probs.max(dim=1, keepdim=True).values < threshold
    halved = probs * 0.5
    is_unknown = (torch.arange(probs.shape[1]) == unknown_index).to(probs.dtype)
    moved = halved + is_unknown * (1.0 - halved.sum(dim=1, keepdim=True))
    return torch.where(unsure, moved, probs)


def export_feature_onnx() -> bytes:
    """The feature extractor as ONNX bytes (same bytes on every run)."""
    example = torch.zeros((1, INPUT_SIZE_PX, INPUT_SIZE_PX, 3), dtype=torch.uint8)
    buffer = io.BytesIO()
    torch.onnx.export(
        FeatureModel(load_backbone()).eval(), (example,), buffer,
        input_names=["image"], output_names=[FEATURES_OUTPUT],
        dynamic_axes={"image": {0: "batch"}, FEATURES_OUTPUT: {0: "batch"}},
        opset_version=OPSET, do_constant_folding=True, dynamo=False,
    )
    return buffer.getvalue()


def ensure_feature_onnx(cache_dir: Path) -> Path:
    """The extractor's ONNX file under ``cache_dir`` (exported once, ~5 s)."""
    path = cache_dir / "extractor" / "efficientnet_lite0_features.onnx"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(export_feature_onnx())
        tmp.replace(path)
    return path


def export_fused_onnx(model: FusedClassifier) -> bytes:
    """The fused classifier as ONNX with the served tensor names (``image`` -> ``probabilities``)."""
    return export_onnx(model.eval())


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
