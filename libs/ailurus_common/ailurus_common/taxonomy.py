"""The model's labels and the versioned mapping of its classes onto taxonomy groups.

Both files live next to the model in the model repository (``labels.txt``,
``taxonomy.json``); this module turns a probability vector into a prediction.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ailurus_common.domain import Group

SUBJECT_GROUPS = (Group.RED_PANDA, Group.GIANT_PANDA, Group.MAMMAL, Group.BIRD, Group.REPTILE,
                  Group.HUMAN, Group.VEHICLE)
_GROUP_ORDER = [g for g in Group if g is not Group.BLANK]


@dataclass(frozen=True)
class Summary:
    """One image's prediction reduced to what the product reports."""

    group: Group
    label: str
    confidence: float
    blank: bool
    top_k: list[tuple[str, float]]
    group_scores: dict[str, float]
    # The group of each top-k label, in the same order (what the review queue ranks on).
    top_k_groups: list[Group]


class TaxonomyError(ValueError):
    """The labels or mapping file is missing or inconsistent."""


def _expand(spec: str) -> range:
    lo, _, hi = spec.partition("-")
    return range(int(lo), int(hi or lo) + 1)


class Taxonomy:
    """Class labels plus the class -> group index, ready to summarise probabilities."""

    def __init__(self, labels: list[str], mapping: dict) -> None:
        self.labels = labels
        self.version = str(mapping["version"])
        default = Group(mapping.get("default_group", Group.OTHER))
        group_of = np.full(len(labels), _GROUP_ORDER.index(default), dtype=np.int64)
        seen: dict[int, str] = {}
        for name, specs in mapping["groups"].items():
            group = Group(name)
            if group is Group.BLANK:
                raise TaxonomyError("'blank' is decided by threshold, not mapped")
            for spec in specs:
                for index in _expand(spec):
                    if not 0 <= index < len(labels):
                        raise TaxonomyError(f"class index {index} outside 0..{len(labels) - 1}")
                    if index in seen:
                        raise TaxonomyError(f"class {index} mapped to both {seen[index]} and {name}")
                    seen[index] = name
                    group_of[index] = _GROUP_ORDER.index(group)
        self._group_of = group_of
        self._subject_idx = np.array([_GROUP_ORDER.index(g) for g in SUBJECT_GROUPS])

    @classmethod
    def load(cls, model_dir: Path) -> "Taxonomy":
        """Read ``labels.txt`` and ``taxonomy.json`` from a model's directory."""
        labels_path, mapping_path = model_dir / "labels.txt", model_dir / "taxonomy.json"
        for path in (labels_path, mapping_path):
            if not path.is_file():
                raise TaxonomyError(f"{path} is missing (run `make model`)")
        labels = labels_path.read_text(encoding="utf-8").splitlines()
        return cls(labels, json.loads(mapping_path.read_text(encoding="utf-8")))

    def group_of(self, class_index: int) -> Group:
        return _GROUP_ORDER[self._group_of[class_index]]

    def summarize(self, probabilities: np.ndarray, *, top_k: int, blank_threshold: float) -> Summary:
        """Reduce one softmax vector to group, label, confidence, blank flag and top-k.

        The group is the subject group with the most summed probability (so 120 dog
        breeds add up to one confident ``mammal``); an image whose subjects together stay
        under ``blank_threshold`` is ``blank``.
        """
        probs = np.asarray(probabilities, dtype=np.float64).reshape(-1)
        if probs.shape[0] != len(self.labels):
            raise TaxonomyError(f"{probs.shape[0]} scores for {len(self.labels)} labels")
        sums = np.bincount(self._group_of, weights=probs, minlength=len(_GROUP_ORDER))
        order = np.argsort(probs)[::-1]
        top = [(self.labels[i], float(probs[i])) for i in order[:top_k]]
        top_groups = [self.group_of(int(i)) for i in order[:top_k]]
        subject_sum = float(sums[self._subject_idx].sum())
        group_scores = {g.value: round(float(sums[i]), 6) for i, g in enumerate(_GROUP_ORDER)}
        if subject_sum < blank_threshold:
            return Summary(Group.BLANK, top[0][0], 1.0 - subject_sum, True, top, group_scores, top_groups)
        best = int(self._subject_idx[np.argmax(sums[self._subject_idx])])
        label_index = next(i for i in order if self._group_of[i] == best)
        return Summary(_GROUP_ORDER[best], self.labels[label_index], float(sums[best]), False, top, group_scores,
                       top_groups)
