"""Which model serves: the pointer the model lifecycle writes and every preprocess replica
follows, and where a served model's files live in the ``models`` container.

``models/serving.json`` names the live model; ``models/<name>/`` holds what Triton serves
(``config.pbtxt``, ``<version>/model.onnx``) and what preprocess needs to read its answers
(``labels.txt``, ``taxonomy.json``). A new label set is a new model name, never a new
version of another's: versions share one config, output size and labels.
"""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

SERVING_BLOB = "serving.json"
# Triton model names become folder and blob names: keep them to a safe, portable alphabet.
MODEL_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
LABELS_FILE = "labels.txt"
TAXONOMY_FILE = "taxonomy.json"
CONFIG_FILE = "config.pbtxt"


class ServedModel(BaseModel):
    """A model as requests name it: its name and, once promoted, its version."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=MODEL_NAME_PATTERN)
    version: str | None = Field(default=None, pattern=r"^[1-9][0-9]{0,8}$",
                                description="None: the newest version the server has loaded")

    def __str__(self) -> str:
        return self.name if self.version is None else f"{self.name}:{self.version}"


class ServingState(BaseModel):
    """The live model, and the one it replaced (what ``rollback`` returns to)."""

    model_config = ConfigDict(frozen=True)

    live: ServedModel
    previous: ServedModel | None = None
    changed_at: datetime


def model_blob_name(model: str, file: str) -> str:
    """The name in ``models/`` of one file of a served model (``file`` relative to its folder)."""
    return f"{model}/{file}"
