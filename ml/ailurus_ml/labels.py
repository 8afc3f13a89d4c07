"""The trained model's label set and the taxonomy group of every label.

Special labels follow the SpeciesNet habit of naming them explicitly: ``unknown`` (an
animal the model cannot name: source labels such as ``UNID`` fold into it, and any
prediction under the calibrated threshold becomes it) and ``blank`` (a class only when the
dataset has empty frames).
"""

from ailurus_common.domain import Group

UNKNOWN = "unknown"
BLANK = "blank"
_UNKNOWN_SOURCE_LABELS = frozenset({"unknown", "unid", "unidentified", "unknown animal", "unknown_animal"})
_BLANK_SOURCE_LABELS = frozenset({"blank", "empty", "none", "nothing"})


def canonical_label(label: str) -> str:
    """The label training uses: the special ones folded, every other label as it is."""
    folded = label.strip().lower()
    if folded in _UNKNOWN_SOURCE_LABELS:
        return UNKNOWN
    if folded in _BLANK_SOURCE_LABELS:
        return BLANK
    return label


def model_labels(trained_classes: list[str]) -> list[str]:
    """The exported label order: the trained classes (sorted), then ``unknown`` last."""
    return sorted(set(trained_classes) - {UNKNOWN}) + [UNKNOWN]


def group_of_label(label: str, *, species_group: Group) -> Group:
    """The taxonomy group a label reports in.

    A label named like a group (``red_panda``, ``human`` ...) is that group; ``blank`` maps
    to ``other`` because ``ailurus_common.taxonomy`` decides blank by threshold (a confident
    ``blank`` class leaves the subject groups under it); every other label is a species of
    ``species_group``, and ``unknown`` ("an animal we cannot name") is one too.
    """
    if label == BLANK:
        return Group.OTHER
    try:
        group = Group(label.strip().lower().replace(" ", "_"))
    except ValueError:
        return species_group
    return Group.OTHER if group is Group.BLANK else group


def true_group(label: str, *, species_group: Group) -> Group:
    """The group a test image truly belongs to (``blank`` frames are blank here)."""
    return Group.BLANK if label == BLANK else group_of_label(label, species_group=species_group)
