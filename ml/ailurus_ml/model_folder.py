"""A Triton model folder as the registry keeps it: what it must hold and its fingerprints.

``<name>/config.pbtxt``, ``labels.txt``, ``taxonomy.json`` and one ``<version>/model.onnx``
(the ONNX takes uint8 NHWC and returns softmax over the labels of ``labels.txt``). Only
these files are registered: a folder may hold other build outputs, they are not the model.
"""

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ailurus_common.contracts.serving import CONFIG_FILE, LABELS_FILE, TAXONOMY_FILE
from ailurus_common.contracts.serving import MODEL_NAME_PATTERN as SERVED_NAME_PATTERN

ONNX_FILE = "model.onnx"

# The registered name is the served (Triton) name: a name the registry takes can go live.
MODEL_NAME_PATTERN = re.compile(SERVED_NAME_PATTERN)
_CONFIG_NAME = re.compile(r'^\s*name\s*:\s*"([^"]*)"', re.MULTILINE)
_HASH_CHUNK_BYTES = 1 << 20


class ModelFolderError(ValueError):
    """The folder is not a model folder the registry can keep."""


@dataclass(frozen=True)
class ModelFolder:
    """A checked model folder: the files to register and their fingerprints."""

    root: Path
    version_dir: str  # the Triton version folder holding model.onnx ("1")
    labels: tuple[str, ...]
    labels_sha256: str
    onnx_sha256: str

    @property
    def files(self) -> list[str]:
        """Paths relative to ``root`` of every file that makes the model."""
        return [CONFIG_FILE, LABELS_FILE, TAXONOMY_FILE, f"{self.version_dir}/{ONNX_FILE}"]


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def read_labels(path: Path) -> tuple[str, ...]:
    """The labels of ``labels.txt``, one a line, in output order."""
    return tuple(line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def inspect_model_folder(root: Path, *, name: str, version_dir: str | None = None) -> ModelFolder:
    """Check that ``root`` is a model folder for ``name`` and fingerprint it.

    Args:
        root: the folder (``model_repository/<name>``).
        name: the Triton model name it is registered under; ``config.pbtxt`` must not name another.
        version_dir: the version folder holding ``model.onnx``; needed only when there are several.

    Raises:
        ModelFolderError: a file is missing, the name is not a valid model name or disagrees
            with ``config.pbtxt``, or the ONNX version folder is ambiguous.
    """
    if not MODEL_NAME_PATTERN.match(name):
        raise ModelFolderError(f"{name!r} is not a model name (lowercase letters, digits and '_', starting with a "
                               "letter: a Triton folder and blob name)")
    if not root.is_dir():
        raise ModelFolderError(f"{root} is not a folder")
    for required in (CONFIG_FILE, LABELS_FILE, TAXONOMY_FILE):
        if not (root / required).is_file():
            raise ModelFolderError(f"{root} has no {required}")
    declared = _CONFIG_NAME.search((root / CONFIG_FILE).read_text(encoding="utf-8"))
    if declared and declared.group(1) != name:
        raise ModelFolderError(f"{root / CONFIG_FILE} names the model {declared.group(1)!r}, not {name!r}")
    candidates = sorted(p.name for p in root.iterdir() if p.name.isdigit() and (p / ONNX_FILE).is_file())
    if version_dir is None:
        if len(candidates) != 1:
            found = ", ".join(candidates) or "none"
            raise ModelFolderError(f"{root} needs exactly one <version>/{ONNX_FILE} (found: {found}); name the version")
        version_dir = candidates[0]
    elif version_dir not in candidates:
        raise ModelFolderError(f"{root / version_dir / ONNX_FILE} does not exist")
    labels = read_labels(root / LABELS_FILE)
    if not labels:
        raise ModelFolderError(f"{root / LABELS_FILE} is empty")
    return ModelFolder(root=root, version_dir=version_dir, labels=labels,
                       labels_sha256=hashlib.sha256("\n".join(labels).encode("utf-8")).hexdigest(),
                       onnx_sha256=sha256_file(root / version_dir / ONNX_FILE))
