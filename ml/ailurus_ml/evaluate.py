"""Metrics of a classifier on held-out images, for any label space (species or groups).

A model is evaluated from its ranked answers: each image's labels by falling probability
with their probabilities. The same function scores the trained model by species and both
models by taxonomy group, so the comparison with the live model uses one definition.
"""

from dataclasses import dataclass

import numpy as np

ECE_BINS = 10
TOP_K = 3


@dataclass(frozen=True)
class Ranked:
    """One image's answer: labels by falling probability, and those probabilities."""

    labels: list[str]
    scores: list[float]


def ranked_from_probabilities(probs: np.ndarray, labels: list[str], *, k: int = TOP_K) -> list[Ranked]:
    order = np.argsort(-probs, axis=1, kind="stable")[:, :k]
    return [Ranked([labels[i] for i in row], [float(p[i]) for i in row]) for p, row in zip(probs, order, strict=True)]


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, *, bins: int = ECE_BINS) -> float:
    """ECE: the gap between confidence and accuracy, averaged over equal-width confidence bins."""
    if len(confidence) == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    gap = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            gap += mask.mean() * abs(confidence[mask].mean() - correct[mask].mean())
    return float(gap)


def _ratio(hits: int, total: int) -> float | None:
    return hits / total if total else None


def _mean(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return float(np.mean(kept)) if kept else None


def classification_metrics(true: list[str], answers: list[Ranked], *, trained_labels: set[str]) -> dict:
    """Per-class precision/recall, confusion matrix, top-1/top-3, macro recall, ECE.

    Args:
        true: each image's true label.
        answers: each image's ranked answer (top-1 first).
        trained_labels: labels the model was trained on; other true labels are reported as
            unseen (the model cannot get them right) and ``*_seen`` metrics leave them out.
    """
    predicted = [a.labels[0] for a in answers]
    correct = np.array([p == t for p, t in zip(predicted, true, strict=True)])
    in_top_k = np.array([t in a.labels[:TOP_K] for t, a in zip(true, answers, strict=True)])
    seen = np.array([t in trained_labels for t in true])
    true_classes = sorted(set(true))
    predicted_classes = sorted(set(predicted))
    all_classes = sorted(set(true_classes) | set(predicted_classes))
    per_class = {}
    for c in all_classes:
        support = sum(t == c for t in true)
        n_predicted = sum(p == c for p in predicted)
        hits = sum(p == c and t == c for p, t in zip(predicted, true, strict=True))
        per_class[c] = {"support": support, "predicted": n_predicted, "precision": _ratio(hits, n_predicted),
                        "recall": _ratio(hits, support)}
    matrix = [[sum(t == r and p == c for t, p in zip(true, predicted, strict=True)) for c in all_classes]
              for r in true_classes]
    confidence = np.array([a.scores[0] for a in answers])
    n = len(true)
    return {
        "images": n,
        "top1": _ratio(int(correct.sum()), n),
        "top3": _ratio(int(in_top_k.sum()), n),
        "top1_seen": _ratio(int(correct[seen].sum()), int(seen.sum())),
        "macro_recall": _mean([per_class[c]["recall"] for c in true_classes]),
        "macro_recall_seen": _mean([per_class[c]["recall"] for c in true_classes if c in trained_labels]),
        "ece": expected_calibration_error(confidence, correct.astype(float)),
        "unseen_classes": sorted(c for c in true_classes if c not in trained_labels),
        "unseen_images": int((~seen).sum()),
        "per_class": per_class,
        "confusion": {"rows_true": true_classes, "columns_predicted": all_classes, "matrix": matrix},
    }


def group_recall_at(true_groups: list[str], group_scores: list[dict[str, float]], group: str, *,
                    threshold: float) -> float | None:
    """Share of images truly of ``group`` whose ``group`` probability reaches ``threshold``;
    None when the test set has none (no support is no evidence, not a perfect score)."""
    rows = [s for g, s in zip(true_groups, group_scores, strict=True) if g == group]
    return _ratio(sum(s.get(group, 0.0) >= threshold for s in rows), len(rows))
