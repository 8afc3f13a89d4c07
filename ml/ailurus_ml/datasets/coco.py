"""COCO Camera Traps JSON (``../shared/FORMATS.md`` C4) plus a folder of images.

``images[].location`` is the site, ``images[].datetime`` the source's capture time,
``corrupt: true`` an unreadable file (not read at all), category 0 the empty frame. An
image's label is the set of categories of its annotations: one class, or a conflict.
"""

from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from ailurus_ml.datasets.source import SourceFile, SourceListing, inside, read_json
from ailurus_ml.errors import BadSource
from ailurus_ml.manifest import ProblemCode

EMPTY_CATEGORY_ID = 0  # reserved by the format for "empty"
EMPTY_LABEL = "empty"
# LILA files write "2019-03-01 12:00:00"; some tools copy EXIF's colon-separated date.
_EXIF_STAMP = "%Y:%m:%d %H:%M:%S"


def parse_datetime(value: Any) -> datetime | None:
    """A CCT ``datetime`` field, or None when it is absent or not a date and time."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.strptime(text[:19], _EXIF_STAMP)
    except ValueError:
        return None


def _load(json_path: Path) -> dict[str, Any]:
    if not json_path.is_file():
        raise BadSource(f"{json_path} is not a file (--format coco expects a COCO Camera Traps .json file)")
    data = read_json(json_path)
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise BadSource(f"{json_path} is not COCO Camera Traps: no 'images' list")
    for key in ("categories", "annotations"):
        if not isinstance(data.get(key, []), list):
            raise BadSource(f"{json_path} is not COCO Camera Traps: '{key}' is not a list")
    return data


def list_coco(json_path: Path, images_root: Path | None = None) -> SourceListing:
    """The images of a CCT file, with labels from its annotations.

    Args:
        json_path: the ``.json`` file.
        images_root: where ``file_name`` paths start; default: the JSON file's folder.

    Raises:
        BadSource: the file is missing, not JSON, or not shaped like CCT.
    """
    json_path = Path(json_path)
    data = _load(json_path)
    root = Path(images_root) if images_root is not None else json_path.parent
    if not root.is_dir():
        raise BadSource(f"images root {root} is not a folder")
    categories: dict[Any, str] = {}
    for category in data.get("categories", []):
        if isinstance(category, dict) and "id" in category:
            name = EMPTY_LABEL if category["id"] == EMPTY_CATEGORY_ID else str(category.get("name", "")).strip()
            categories[category["id"]] = name
    labels_of: dict[Any, set[str]] = defaultdict(set)
    unnamed: dict[Any, set[Any]] = defaultdict(set)
    for annotation in data.get("annotations", []):
        if not isinstance(annotation, dict):
            continue
        category_id = annotation.get("category_id")
        if categories.get(category_id):
            labels_of[annotation.get("image_id")].add(categories[category_id])
        else:
            unnamed[annotation.get("image_id")].add(category_id)
    listing = SourceListing()
    for index, image in enumerate(data["images"]):
        file_name = image.get("file_name") if isinstance(image, dict) else None
        source = file_name if isinstance(file_name, str) and file_name else f"images[{index}]"
        if source != file_name:
            listing.problem(source, ProblemCode.MISSING_FILE, "the image entry has no file_name")
            continue
        path = inside(root, file_name)
        if path is None:
            listing.problem(source, ProblemCode.MISSING_FILE, "file_name leaves the images root")
            continue
        if image.get("corrupt") is True:
            listing.problem(source, ProblemCode.UNREADABLE, "marked corrupt in the source")
            continue
        if not path.is_file():
            listing.problem(source, ProblemCode.MISSING_FILE, f"{path} does not exist")
            continue
        image_id = image.get("id")
        if unnamed.get(image_id):
            listing.problem(source, ProblemCode.MISSING_LABEL,
                            f"annotated with category ids {sorted(map(str, unnamed[image_id]))} that have no name")
            continue
        location = image.get("location")
        listing.files.append(SourceFile(
            source=source, path=path, source_labels=tuple(sorted(labels_of.get(image_id, ()))),
            site=str(location) if location not in (None, "") else None,
            source_time=parse_datetime(image.get("datetime"))))
    return listing
