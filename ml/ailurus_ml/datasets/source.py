"""What an importer hands the import engine: the files a source names, with their labels and
places, plus the problems found while reading the source itself."""

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ailurus_ml.errors import BadSource
from ailurus_ml.manifest import DatasetProblem, ProblemCode


@dataclass(frozen=True)
class SourceFile:
    """One image file as the source describes it (nothing read yet)."""

    source: str  # its path or id in the source, for people
    path: Path | None  # a local file, or None for a blob
    source_labels: tuple[str, ...]  # as the source wrote them, distinct, sorted; () = no label
    site: str | None = None
    deployment: str | None = None
    source_time: datetime | None = None  # the source's own capture time (EXIF wins when present)
    blob: tuple[str, str] | None = None  # (container, name) when the bytes are in the blob store
    # True when the source's time is better than the file's own EXIF (a record whose time is
    # already EXIF put in the trap's time zone and corrected for a wrong camera clock).
    source_time_first: bool = False


@dataclass
class SourceListing:
    files: list[SourceFile] = field(default_factory=list)
    problems: list[DatasetProblem] = field(default_factory=list)

    def problem(self, source: str, code: ProblemCode, message: str) -> None:
        self.problems.append(DatasetProblem(source=source, code=code, message=message))


def inside(root: Path, relative: str) -> Path | None:
    """``root / relative`` when it stays inside ``root``, else None (absolute paths, ``..``).
    Lexical on purpose: a symlink the data owner put inside the tree is followed. Windows
    separators (COCO files written on Windows) count as ``/``."""
    relative = relative.replace("\\", "/")
    if not relative or os.path.isabs(relative):
        return None
    joined = os.path.normpath(os.path.join(root, relative))
    if os.path.commonpath([joined, os.path.normpath(root)]) != os.path.normpath(root):
        return None
    return Path(joined)


def read_json(path: Path) -> Any:
    """The JSON document of an annotation file; ``BadSource`` when it cannot be read or parsed."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadSource(f"{path} is not readable JSON: {exc}") from None
