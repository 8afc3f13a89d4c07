"""The ``Classifier`` seam."""

from typing import Protocol

import numpy as np

from ailurus_common.records import ModelRef  # which model produced a prediction: every label records it


class Classifier(Protocol):
    async def is_ready(self) -> bool:
        """True when a request sent now would be served."""

    async def classify(self, pixels: np.ndarray) -> tuple[np.ndarray, ModelRef]:
        """uint8 ``[N, H, W, 3]`` images -> float ``[N, classes]`` probabilities and the model used."""

    async def close(self) -> None:
        """Release channels, sessions and threads."""
