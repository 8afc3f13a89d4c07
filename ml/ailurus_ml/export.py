"""Write a trained model as a Triton model folder with the served contract.

``<out>/<name>/config.pbtxt`` (the live model's config with this model's name and output
size), ``labels.txt``, ``taxonomy.json``, ``training.json`` and ``1/model.onnx`` (backbone +
head in one graph). A new label set is a new model name, never a new version of another
model: versions share one config, output size and labels.txt.
"""

import json
from pathlib import Path

import numpy as np
from google.protobuf import text_format

from ailurus_common.domain import Group
from ailurus_ml.extractor import FeatureModel, FusedClassifier, export_fused_onnx
from ailurus_ml.head import LinearHead
from ailurus_ml.labels import UNKNOWN, group_of_label
from ailurus_tools.model.network import load_backbone
from ailurus_tools.triton.repository import load_config

# Logit of the head's extra ``unknown`` row: exp underflows to 0, so only the threshold rule
# gives it probability (the head is never trained on a handful of UNID frames).
UNKNOWN_LOGIT = -1.0e4
TAXONOMY_PREFIX = "trained-groups-1"


def with_unknown_row(head: LinearHead) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(weight, bias, labels) with ``unknown`` appended as the last output."""
    weight = np.vstack([head.weight, np.zeros((1, head.weight.shape[1]), dtype=np.float32)])
    bias = np.append(head.bias, np.float32(UNKNOWN_LOGIT)).astype(np.float32)
    return weight, bias, [*head.classes, UNKNOWN]


def fused_model(head: LinearHead, unknown_threshold: float) -> tuple[FusedClassifier, list[str]]:
    weight, bias, labels = with_unknown_row(head)
    model = FusedClassifier(FeatureModel(load_backbone()), weight, bias, unknown_index=len(labels) - 1,
                            unknown_threshold=unknown_threshold)
    return model.eval(), labels


def taxonomy_mapping(labels: list[str], *, species_group: Group, dataset_id: str) -> dict:
    """The ``taxonomy.json`` of ``ailurus_common.taxonomy``: every label's index under its group."""
    groups: dict[str, list[str]] = {}
    for index, label in enumerate(labels):
        group = group_of_label(label, species_group=species_group)
        if group is not Group.OTHER:
            groups.setdefault(group.value, []).append(str(index))
    return {
        "version": f"{TAXONOMY_PREFIX}-{dataset_id}",
        "description": f"Labels of the model trained on dataset {dataset_id}: species are {species_group.value}; "
                       "'unknown' is an animal the model cannot name; 'blank' (when present) maps to the default "
                       "group so the taxonomy's threshold reports it blank.",
        "default_group": Group.OTHER.value,
        "animal_groups": ["red_panda", "giant_panda", "mammal", "bird", "reptile"],
        "groups": groups,
        "labels": {label: group_of_label(label, species_group=species_group).value for label in labels},
    }


def write_model_folder(out_dir: Path, name: str, *, head: LinearHead, unknown_threshold: float, species_group: Group,
                       dataset_id: str, live_config: Path, training: dict) -> Path:
    """Write the folder ``out_dir/name``; returns it."""
    model, labels = fused_model(head, unknown_threshold)
    folder = out_dir / name
    (folder / "1").mkdir(parents=True, exist_ok=True)
    (folder / "1" / "model.onnx").write_bytes(export_fused_onnx(model))
    (folder / "labels.txt").write_text("\n".join(labels) + "\n", encoding="utf-8")
    mapping = taxonomy_mapping(labels, species_group=species_group, dataset_id=dataset_id)
    (folder / "taxonomy.json").write_text(json.dumps(mapping, indent=2) + "\n", encoding="utf-8")
    config = load_config(live_config)
    config.name = name
    del config.output[0].dims[:]
    config.output[0].dims.append(len(labels))
    header = f"# Trained on dataset {dataset_id}: {len(labels)} labels (labels.txt). Written by ailurus train.\n"
    (folder / "config.pbtxt").write_text(header + text_format.MessageToString(config), encoding="utf-8")
    (folder / "training.json").write_text(json.dumps(training, indent=2, default=str) + "\n", encoding="utf-8")
    return folder
