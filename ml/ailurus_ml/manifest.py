"""A dataset snapshot: an immutable manifest of labelled images, stored by content hash.

Layout in the ``datasets`` container: ``images/<sha256>`` holds each image's bytes once
(snapshots share them), ``snapshots/<id>.json`` one manifest. A snapshot is never
rewritten: its id is derived from its content, so the same import twice is the same id.
"""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

SHA256_PATTERN = r"^[0-9a-f]{64}$"


class SourceFormat(StrEnum):
    FOLDER = "folder"
    COCO = "coco"
    CAMTRAPDP = "camtrapdp"
    REVIEWS = "reviews"


class ProblemCode(StrEnum):
    """Why one file of an import was left out (the import itself never aborts on one)."""

    UNREADABLE = "unreadable"  # not an image the serving decoder opens
    UNKNOWN_LABEL = "unknown_label"  # a source label the label map does not name
    MISSING_LABEL = "missing_label"  # no label at all
    DUPLICATE = "duplicate"  # the same bytes again in this import
    MISSING_FILE = "missing_file"  # the annotation names a file that is not there
    CONFLICTING_LABELS = "conflicting_labels"  # one image, several labels
    REMOTE_FILE = "remote_file"  # the source names a URL: imports read local files only (no internet here)


class DatasetItem(BaseModel):
    """One labelled image of a snapshot."""

    model_config = ConfigDict(frozen=True)

    sha256: str = Field(pattern=SHA256_PATTERN, description="content hash; the image is images/<sha256>")
    label: str = Field(description="the model class, after the label map")
    source_label: str = Field(description="the label as the source wrote it")
    site: str | None = Field(default=None, description="where it was taken; evaluation holds out whole sites")
    deployment: str | None = None
    captured_at: datetime | None = None
    source: str = Field(description="the file's path or id in the source, for people")


class DatasetProblem(BaseModel):
    """One file left out of a snapshot, and why."""

    model_config = ConfigDict(frozen=True)

    source: str
    code: ProblemCode
    message: str


class DatasetManifest(BaseModel):
    """An immutable, versioned snapshot."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="<name>-<first 12 hex of the items' hash>")
    name: str
    created_at: datetime
    source_format: SourceFormat
    label_map: dict[str, str] = Field(default_factory=dict, description="source label -> class")
    classes: list[str] = Field(description="sorted model classes present in items")
    items: list[DatasetItem]
    problems: list[DatasetProblem] = Field(default_factory=list)
