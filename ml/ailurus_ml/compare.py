"""Answers reduced to taxonomy groups, so models with different label sets (the live
ImageNet model, a trained species model) are compared on one scale."""

from pathlib import Path

import numpy as np
import onnxruntime as ort

from ailurus_common.taxonomy import Taxonomy
from ailurus_ml.evaluate import Ranked

ONNX_BATCH = 16


def group_answers(taxonomy: Taxonomy, probs: np.ndarray, *, blank_threshold: float) -> tuple[list[Ranked], list[dict]]:
    """Each image's groups ranked as preprocess reports them (its group first, blank
    included), and its per-group probabilities."""
    answers, scores = [], []
    for row in probs:
        summary = taxonomy.summarize(row, top_k=1, blank_threshold=blank_threshold)
        rest = sorted((g for g in summary.group_scores if g != summary.group), key=lambda g: -summary.group_scores[g])
        answers.append(Ranked([summary.group.value, *rest],
                              [summary.confidence, *(summary.group_scores[g] for g in rest)]))
        scores.append(summary.group_scores)
    return answers, scores


def run_onnx_classifier(onnx_path: Path, pixels: np.ndarray, *, intra_op_threads: int) -> np.ndarray:
    """Probabilities of a served-contract ONNX model (``image`` uint8 NHWC -> ``probabilities``)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = intra_op_threads
    session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
    return np.concatenate([session.run(["probabilities"], {"image": pixels[i:i + ONNX_BATCH]})[0]
                           for i in range(0, len(pixels), ONNX_BATCH)])


def live_model(model_dir: Path) -> tuple[Path, Taxonomy, str]:
    """(ONNX path of the newest version, taxonomy, version) of the model folder."""
    versions = sorted((p for p in model_dir.iterdir() if p.name.isdigit() and (p / "model.onnx").is_file()),
                      key=lambda p: int(p.name))
    if not versions:
        raise FileNotFoundError(f"no built version under {model_dir} (run `make model`)")
    return versions[-1] / "model.onnx", Taxonomy.load(model_dir), versions[-1].name
