"""Train a head on cached features of a dataset snapshot, evaluate it on held-out sites
beside the live model, and export it: what ``ailurus train`` runs."""

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ailurus_common.domain import Group
from ailurus_common.taxonomy import Taxonomy
from ailurus_ml.charts import confusion_png
from ailurus_ml.compare import group_answers, live_model, run_onnx_classifier
from ailurus_ml.config import MlSettings
from ailurus_ml.errors import MethodNotBuilt
from ailurus_ml.evaluate import classification_metrics, group_recall_at, ranked_from_probabilities
from ailurus_ml.export import taxonomy_mapping, with_unknown_row
from ailurus_ml.extractor import apply_unknown_rule, ensure_feature_onnx
from ailurus_ml.features import FeatureCache, FeatureExtractor, ViewSpec, extract_features, plain_pixels
from ailurus_ml.head import HeadParams, LinearHead, softmax, train_head
from ailurus_ml.labels import UNKNOWN, canonical_label, true_group
from ailurus_ml.manifest import DatasetManifest
from ailurus_ml.search import calibrate_unknown_threshold, search_params
from ailurus_ml.split import SiteSplit, validation_sites

METHODS = ("head", "last-block", "full")
# Without a by-site validation split (one training site) the threshold cannot be calibrated.
DEFAULT_UNKNOWN_THRESHOLD = 0.5


@dataclass(frozen=True)
class TrainOptions:
    trials: int = 20
    seed: int = 0
    method: str = "head"
    species_group: Group = Group.MAMMAL
    progress: bool = True


@dataclass
class Timer:
    """Seconds spent per stage and what it handled (views for extraction, images otherwise)."""

    seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)

    def add(self, stage: str, seconds: float, count: int, *, unit: str = "images") -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds
        self.counts[stage] = self.counts.get(stage, 0) + count
        self.units[stage] = unit

    def report(self) -> dict:
        return {stage: {"seconds": round(s, 3), "count": self.counts[stage], "unit": self.units[stage],
                        "seconds_per_1000": round(1000 * s / self.counts[stage], 2) if self.counts[stage] else None}
                for stage, s in self.seconds.items()}


@dataclass
class FoldResult:
    split: SiteSplit
    head: LinearHead
    unknown_threshold: float
    params: HeadParams
    report: dict


def check_method(method: str) -> None:
    """Refuse the methods this build does not offer (they are GPU work: 8-34 images/s on 2 cores)."""
    if method not in METHODS:
        raise MethodNotBuilt(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if method != "head":
        raise MethodNotBuilt(f"--method {method} is not built yet: it fine-tunes the backbone, which needs a GPU "
                             "(full fine-tuning runs 8-13 images/s on CPU); use --method head")


def model_name_for(dataset_name: str) -> str:
    """``ailurus_<dataset name>`` in the characters Triton model names allow."""
    return "ailurus_" + (re.sub(r"[^a-z0-9]+", "_", dataset_name.lower()).strip("_") or "dataset")


class Trainer:
    """Holds what every fold shares: the snapshot, the images, the extractor and its cache."""

    def __init__(self, manifest: DatasetManifest, load_images: Callable[[list[str]], dict[str, bytes]],
                 settings: MlSettings, options: TrainOptions) -> None:
        check_method(options.method)
        self.manifest, self.settings, self.options = manifest, settings, options
        self.items = manifest.items
        self.labels = [canonical_label(item.label) for item in self.items]
        self._load_images = load_images
        self.spec = ViewSpec(settings.input_size_px, settings.crop_fraction, options.seed)
        self.extractor = FeatureExtractor(ensure_feature_onnx(settings.cache_dir),
                                          intra_op_threads=settings.intra_op_threads)
        self.cache = FeatureCache(settings.cache_dir, self.extractor.digest)
        self.timer = Timer()
        live_onnx, self.live_taxonomy, live_version = live_model(settings.live_model_dir)
        self.live_onnx = live_onnx
        self.live_name = f"{settings.live_model_dir.name}:{live_version}"

    def _images(self, sha256s: list[str]) -> dict[str, bytes]:
        return self._load_images(sha256s)

    def features(self, indices: list[int], views: int) -> tuple[np.ndarray, list[str]]:
        """Features of views 0..views of each item, and the label of each row."""
        requests = [(self.items[i].sha256, v) for i in indices for v in range(views + 1)]
        started = time.perf_counter()
        before = sum(1 for sha, v in requests if self.cache.get(sha, v, seed=self.spec.seed) is None)
        x = extract_features(requests, load_images=self._images, extractor=self.extractor, cache=self.cache,
                             spec=self.spec, progress=self.options.progress)
        if before:
            self.timer.add("feature_extraction", time.perf_counter() - started, before, unit="views")
        return x, [self.labels[i] for i in indices for _ in range(views + 1)]

    def fit(self, split: SiteSplit) -> FoldResult:
        """Search, calibrate and fit on ``split.train``; evaluate on ``split.test``."""
        opts, views = self.options, self.settings.train_views
        trainable = [i for i in split.train if self.labels[i] != UNKNOWN]
        inner = validation_sites(self.items, split.train)
        threshold, search_report = DEFAULT_UNKNOWN_THRESHOLD, {"validation_sites": [], "trials": 0}
        params = HeadParams()
        if inner is not None:
            fit_idx, val_idx = inner
            fit_idx = [i for i in fit_idx if self.labels[i] != UNKNOWN]
            fit_x, fit_y = self.features(fit_idx, views)
            val_x, val_y = self.features(val_idx, 0)
            started = time.perf_counter()
            result = search_params(fit_x, fit_y, val_x, val_y, trials=opts.trials, seed=opts.seed)
            params = result.params
            threshold = calibrate_unknown_threshold(fit_x, fit_y, val_x, val_y, params=params, seed=opts.seed)
            search_report = {"validation_sites": sorted({self.items[i].site or "" for i in val_idx}),
                             "trials": result.trials, "validation_macro_recall": result.validation_macro_recall}
            self.timer.add("search", time.perf_counter() - started, len(fit_idx) * max(result.trials, 1),
                           unit="image-trials")
        train_x, train_y = self.features(trainable, views)
        started = time.perf_counter()
        curve: list[float] = []
        head = train_head(train_x, train_y, params, seed=opts.seed, curve=curve)
        self.timer.add("head_training", time.perf_counter() - started, len(trainable))
        report = self.evaluate(split, head, threshold)
        report["training_curve"] = [{"epoch": epoch, "loss": loss} for epoch, loss in enumerate(curve, start=1)]
        report["search"] = search_report
        report["params"] = {"lr": params.lr, "weight_decay": params.weight_decay, "epochs": params.epochs}
        report["unknown_threshold"] = threshold
        return FoldResult(split, head, threshold, params, report)

    def predict(self, head: LinearHead, threshold: float, x: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Probabilities over the exported labels, as the exported graph computes them."""
        weight, bias, labels = with_unknown_row(head)
        probs = softmax(x @ weight.T + bias)
        ruled = apply_unknown_rule(torch.from_numpy(probs), len(labels) - 1, threshold).numpy()
        return ruled, labels

    def evaluate(self, split: SiteSplit, head: LinearHead, threshold: float) -> dict:
        """Species and group metrics of the trained head and the live model on ``split.test``."""
        test = split.test
        species_group = self.options.species_group
        true = [self.labels[i] for i in test]
        groups_true = [true_group(label, species_group=species_group).value for label in true]
        test_x, _ = self.features(test, 0)
        probs, labels = self.predict(head, threshold, test_x)
        trained = set(head.classes) | {UNKNOWN}
        ours = Taxonomy(labels, taxonomy_mapping(labels, species_group=species_group, dataset_id=self.manifest.id))
        blank = self.settings.blank_threshold
        our_groups, our_scores = group_answers(ours, probs, blank_threshold=blank)
        shas = [self.items[i].sha256 for i in test]
        live_probs = run_onnx_classifier(self.live_onnx, plain_pixels(self._images(shas), shas, self.spec),
                                         intra_op_threads=self.settings.intra_op_threads)
        live_groups, live_scores = group_answers(self.live_taxonomy, live_probs, blank_threshold=blank)
        trained_groups = {true_group(c, species_group=species_group).value for c in trained}
        seen = [k for k, label in enumerate(true) if label in trained]
        rp = self.settings.red_panda_threshold

        def group_block(answers: list, scores: list, groups_known: set[str]) -> dict:
            block = classification_metrics(groups_true, answers, trained_labels=groups_known)
            block["red_panda_recall"] = group_recall_at(groups_true, scores, Group.RED_PANDA.value, threshold=rp)
            block["seen_species_images"] = classification_metrics(
                [groups_true[k] for k in seen], [answers[k] for k in seen], trained_labels=groups_known) if seen else None
            return block

        ranked = ranked_from_probabilities(probs, labels)
        species = classification_metrics(true, ranked, trained_labels=trained)
        species["red_panda_recall"] = group_recall_at(groups_true, our_scores, Group.RED_PANDA.value, threshold=rp)
        species["unseen_predicted_unknown"] = (
            sum(probs[k].argmax() == len(labels) - 1 for k, label in enumerate(true) if label not in trained)
            / max(1, sum(label not in trained for label in true)))
        return {
            "train_sites": split.train_sites, "test_sites": split.test_sites,
            "train_images": len(split.train), "test_images": len(test),
            "labels": labels,
            "trained": {"species": species, "groups": group_block(our_groups, our_scores, trained_groups)},
            "live": {"model": self.live_name,
                     "groups": group_block(live_groups, live_scores, {g.value for g in Group})},
            "red_panda_threshold": rp,
            "per_site": per_site_top1([self.items[i].site or "" for i in test], true, ranked, groups_true, our_groups,
                                      live_groups),
        }


def per_site_top1(sites: list[str], true: list[str], ranked: list, groups_true: list[str], our_groups: list,
                  live_groups: list) -> dict[str, dict]:
    """Top-1 per held-out site: species for the trained model, taxonomy groups for both
    models (a site where the new model is worse than the live one shows here, not in the mean)."""
    def share(hits: list[bool]) -> float | None:
        return sum(hits) / len(hits) if hits else None

    found: dict[str, dict] = {}
    for site in sorted(set(sites)):
        rows = [k for k, s in enumerate(sites) if s == site]
        found[site] = {
            "images": len(rows),
            "top1": share([ranked[k].labels[0] == true[k] for k in rows]),
            "group_top1": share([our_groups[k].labels[0] == groups_true[k] for k in rows]),
            "live_group_top1": share([live_groups[k].labels[0] == groups_true[k] for k in rows]),
        }
    return found


def summary_of(report: dict) -> dict:
    """The headline numbers of one fold (for printing and leave-one-site-out tables)."""
    species, ours, live = report["trained"]["species"], report["trained"]["groups"], report["live"]["groups"]
    return {
        "test_sites": report["test_sites"], "test_images": report["test_images"],
        "top1": species["top1"], "top3": species["top3"], "top1_seen": species["top1_seen"],
        "macro_recall": species["macro_recall"], "macro_recall_seen": species["macro_recall_seen"],
        "ece": species["ece"], "unseen_classes": species["unseen_classes"],
        "group_top1": ours["top1"], "live_group_top1": live["top1"],
        "group_top1_seen": (ours["seen_species_images"] or {}).get("top1"),
        "live_group_top1_seen": (live["seen_species_images"] or {}).get("top1"),
        "red_panda_recall": species["red_panda_recall"], "live_red_panda_recall": live["red_panda_recall"],
    }


def mean_of(summaries: list[dict], key: str) -> float | None:
    values = [s[key] for s in summaries if s[key] is not None]
    return float(np.mean(values)) if values else None


def write_evaluation(folder: Path, report: dict) -> dict[str, str]:
    """The confusion matrices as JSON and PNG under ``folder``; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metrics.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    paths = {"metrics": str(folder / "metrics.json")}
    live_title = f"live {report['live']['model']}, groups"
    for key, block, title in (("confusion_species", report["trained"]["species"], "trained model, species"),
                              ("confusion_groups", report["trained"]["groups"], "trained model, groups"),
                              ("confusion_live_groups", report["live"]["groups"], live_title)):
        (folder / f"{key}.json").write_text(json.dumps(block["confusion"], indent=2) + "\n", encoding="utf-8")
        paths[key] = str(confusion_png(block["confusion"], folder / f"{key}.png", title=title))
    return paths

