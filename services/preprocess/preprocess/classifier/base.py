"""The ``Classifier`` seam."""

from typing import Protocol

import numpy as np

from ailurus_common.contracts.serving import ServedModel
from ailurus_common.records import ModelRef  # which model produced a prediction: every label records it


class Classifier(Protocol):
    async def is_ready(self, model: ServedModel) -> bool:
        """True when a request to ``model`` sent now would be served."""

    async def input_size_px(self, model: str) -> int:
        """The square input side ``model`` takes (from the server's model metadata)."""

    async def classify(self, pixels: np.ndarray, model: ServedModel) -> tuple[np.ndarray, ModelRef]:
        """uint8 ``[N, H, W, 3]`` images -> float ``[N, classes]`` probabilities and the
        model (name and version) that actually answered."""

    async def close(self) -> None:
        """Release channels, sessions and threads."""
