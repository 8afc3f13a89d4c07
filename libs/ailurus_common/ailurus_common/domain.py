"""Domain vocabulary shared by every service (SpeciesNet-style explicit special labels)."""

from enum import StrEnum


class Group(StrEnum):
    """Taxonomy groups a prediction is reported in; ``blank`` means no subject seen."""

    RED_PANDA = "red_panda"
    GIANT_PANDA = "giant_panda"
    MAMMAL = "mammal"
    BIRD = "bird"
    REPTILE = "reptile"
    HUMAN = "human"
    VEHICLE = "vehicle"
    OTHER = "other"
    BLANK = "blank"


class MediaStatus(StrEnum):
    PENDING = "pending"
    CLASSIFIED = "classified"
    FAILED = "failed"
