"""The head, splits, threshold rule and metrics on small synthetic data (no model)."""

import numpy as np
import pytest
import torch

from ailurus_ml.errors import MethodNotBuilt, SplitError
from ailurus_ml.evaluate import Ranked, classification_metrics, expected_calibration_error, group_recall_at
from ailurus_ml.extractor import apply_unknown_rule
from ailurus_ml.head import HeadParams, train_head
from ailurus_ml.labels import BLANK, UNKNOWN, canonical_label
from ailurus_ml.manifest import DatasetItem
from ailurus_ml.split import leave_one_site_out, split_by_fraction, split_by_sites, validation_sites
from ailurus_ml.training import check_method, model_name_for


def _blobs(seed: int = 0) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    centres = {"a": np.full(8, 2.0), "b": np.full(8, -2.0), "c": np.r_[np.full(4, 2.0), np.full(4, -2.0)]}
    rows, labels = [], []
    for label, centre in centres.items():
        rows.append(centre + rng.normal(size=(20 if label != "c" else 4, 8)))
        labels += [label] * len(rows[-1])
    return np.vstack(rows), labels


def test_train_head_separates_classes_and_weighs_the_rare_one():
    x, y = _blobs()
    head = train_head(x, y, HeadParams(lr=0.05, weight_decay=1e-4, epochs=30), seed=1)
    predicted = [head.classes[i] for i in head.probabilities(x).argmax(axis=1)]
    assert head.classes == ["a", "b", "c"]
    assert np.mean([p == t for p, t in zip(predicted, y, strict=True)]) > 0.95
    assert all(p == "c" for p, t in zip(predicted, y, strict=True) if t == "c")


def test_train_head_same_seed_same_weights():
    x, y = _blobs()
    params = HeadParams(lr=0.05, weight_decay=1e-3, epochs=5)
    assert np.array_equal(train_head(x, y, params, seed=3).weight, train_head(x, y, params, seed=3).weight)


def test_unknown_rule_moves_unsure_rows_keeps_order_and_sum():
    probs = torch.tensor([[0.5, 0.3, 0.2, 0.0], [0.9, 0.05, 0.05, 0.0]])
    ruled = apply_unknown_rule(probs, 3, 0.6).numpy()
    assert ruled[0].argmax() == 3 and ruled[0, 0] > ruled[0, 1] > ruled[0, 2]
    assert np.allclose(ruled.sum(axis=1), 1.0)
    assert np.allclose(ruled[1], probs[1].numpy())


def test_canonical_label_folds_unid_and_blank():
    assert canonical_label("UNID") == UNKNOWN and canonical_label("Empty") == BLANK and canonical_label("PBE") == "PBE"


def _items(sites: dict[str, int]) -> list[DatasetItem]:
    return [DatasetItem(sha256=f"{k:064x}", label="x", source_label="x", site=site, source=str(k))
            for k, site in enumerate(s for s, n in sites.items() for _ in range(n))]


def test_split_by_sites_holds_out_whole_sites():
    items = _items({"A": 3, "B": 5, "C": 4})
    split = split_by_sites(items, ["C"])
    assert {items[i].site for i in split.test} == {"C"} and {items[i].site for i in split.train} == {"A", "B"}
    with pytest.raises(SplitError):
        split_by_sites(items, ["D"])
    with pytest.raises(SplitError):
        split_by_sites(items, ["A", "B", "C"])


def test_split_by_fraction_and_validation_never_mix_sites():
    items = _items({"A": 3, "B": 5, "C": 4})
    split = split_by_fraction(items, 0.3)
    assert split.test_sites == ["B"]
    fit, val = validation_sites(items, split.train)
    assert {items[i].site for i in val} == {"A"} and {items[i].site for i in fit} == {"C"}
    assert validation_sites(items, [0, 1, 2]) is None
    assert [s.test_sites for s in leave_one_site_out(items)] == [["A"], ["B"], ["C"]]


def test_metrics_count_unseen_and_null_red_panda_without_support():
    true = ["a", "a", "b", "z"]
    answers = [Ranked(["a", "b"], [0.9, 0.1]), Ranked(["b", "a"], [0.6, 0.4]), Ranked(["b", "a"], [0.8, 0.2]),
               Ranked(["a", "b"], [0.7, 0.3])]
    m = classification_metrics(true, answers, trained_labels={"a", "b"})
    assert m["top1"] == 0.5 and m["top1_seen"] == pytest.approx(2 / 3) and m["top3"] == 0.75
    assert m["unseen_classes"] == ["z"] and m["per_class"]["a"]["recall"] == 0.5
    assert sum(map(sum, m["confusion"]["matrix"])) == 4
    assert group_recall_at(["mammal"], [{"red_panda": 0.9}], "red_panda", threshold=0.5) is None
    assert group_recall_at(["red_panda"], [{"red_panda": 0.9}], "red_panda", threshold=0.5) == 1.0


def test_ece_zero_when_confidence_matches_accuracy():
    assert expected_calibration_error(np.array([1.0, 1.0]), np.array([1.0, 1.0])) == 0.0
    assert expected_calibration_error(np.array([0.9, 0.9]), np.array([0.0, 0.0])) == pytest.approx(0.9)


def test_methods_needing_a_gpu_are_refused_clearly():
    with pytest.raises(MethodNotBuilt, match="GPU"):
        check_method("full")
    check_method("head")
    assert model_name_for("Camtrapr Stations!") == "ailurus_camtrapr_stations"
