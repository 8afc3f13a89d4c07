"""The ``Classifier`` seam."""

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class ModelRef:
    """Which model produced a prediction: every stored label records it."""

    name: str
    version: str


class Classifier(Protocol):
    async def is_ready(self) -> bool:
        """True when a request sent now would be served."""

    async def classify(self, pixels: np.ndarray) -> tuple[np.ndarray, ModelRef]:
        """uint8 ``[N, H, W, 3]`` images -> float ``[N, classes]`` probabilities and the model used."""

    async def close(self) -> None:
        """Release channels, sessions and threads."""
