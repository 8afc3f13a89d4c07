"""Our taxonomy groups in the vocabularies of the export formats."""

from ailurus_common.domain import Group

_ANIMALS = {Group.RED_PANDA, Group.GIANT_PANDA, Group.MAMMAL, Group.BIRD, Group.REPTILE, Group.OTHER}

# Camtrap DP observationType. "other" is the taxonomy's catch-all (classes no group names):
# a subject of unknown kind. A media not (yet) classified has no observation type but "unclassified".
OBSERVATION_TYPE = {**{g: "animal" for g in _ANIMALS - {Group.OTHER}}, Group.OTHER: "unknown",
                    Group.HUMAN: "human", Group.VEHICLE: "vehicle", Group.BLANK: "blank"}
UNCLASSIFIED = "unclassified"

# The most precise scientific name a group stands for (and its rank), for Camtrap DP's
# scientificName and the package's taxonomic coverage. Groups that are not taxa have none.
SCIENTIFIC_NAME: dict[Group, tuple[str, str]] = {
    Group.RED_PANDA: ("Ailurus fulgens", "species"),
    Group.GIANT_PANDA: ("Ailuropoda melanoleuca", "species"),
    Group.MAMMAL: ("Mammalia", "class"),
    Group.BIRD: ("Aves", "class"),
    Group.REPTILE: ("Reptilia", "class"),
}

# MegaDetector's detection categories, and which one each group's whole-image box is in.
MD_DETECTION_CATEGORIES = {"1": "animal", "2": "person", "3": "vehicle"}
MD_CATEGORY = {**{g: "1" for g in _ANIMALS}, Group.HUMAN: "2", Group.VEHICLE: "3"}


def md_description(group: Group) -> str:
    """``classification_category_descriptions``: the group, with its taxon where it has one."""
    taxon = SCIENTIFIC_NAME.get(group)
    return f"{group.value};{taxon[0].lower()}" if taxon else group.value
