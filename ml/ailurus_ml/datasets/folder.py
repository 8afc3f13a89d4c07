"""Folder-per-class trees, as people sort by hand: ``<class>/<file>``, or with a site level
above the class, ``<site>/<class>/<file>``. Hidden files and folders are skipped; every
other file is a candidate (content decides whether it is an image, never the suffix)."""

from collections import Counter
from enum import StrEnum
from pathlib import Path

from ailurus_ml.datasets.source import SourceFile, SourceListing
from ailurus_ml.errors import BadSource
from ailurus_ml.manifest import ProblemCode


class Layout(StrEnum):
    AUTO = "auto"
    CLASS = "class"
    SITE_CLASS = "site/class"


_DEPTH = {Layout.CLASS: 2, Layout.SITE_CLASS: 3}  # path parts from the root to the file


def _files(root: Path) -> list[Path]:
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        found.append(relative)
    return found


def detect_layout(relative_paths: list[Path]) -> Layout:
    """The layout most files fit (ties go to ``site/class``, the deeper one)."""
    depths = Counter(len(path.parts) for path in relative_paths)
    if not depths[2] and not depths[3]:
        raise BadSource("no <class>/<file> or <site>/<class>/<file> files found under the folder")
    return Layout.SITE_CLASS if depths[3] >= depths[2] else Layout.CLASS


def list_folder(root: Path, layout: Layout = Layout.AUTO) -> tuple[SourceListing, Layout]:
    """Every file of the tree with its class (and site) from its folders.

    Returns:
        The listing and the layout used (detected when ``layout`` is ``auto``); a file at
        another depth is a ``missing_label`` problem.

    Raises:
        BadSource: ``root`` is not a folder, or holds no file at a class depth.
    """
    root = Path(root)
    if not root.is_dir():
        raise BadSource(f"{root} is not a folder (--format folder expects <class>/<file> or <site>/<class>/<file>)")
    relative_paths = _files(root)
    if layout is Layout.AUTO:
        layout = detect_layout(relative_paths)
    depth = _DEPTH[layout]
    listing = SourceListing()
    for relative in relative_paths:
        source = relative.as_posix()
        if len(relative.parts) != depth:
            listing.problem(source, ProblemCode.MISSING_LABEL, f"not at {'<site>/' if depth == 3 else ''}<class>/<file>")
            continue
        site = relative.parts[0] if layout is Layout.SITE_CLASS else None
        listing.files.append(SourceFile(source=source, path=root / relative, source_labels=(relative.parts[-2],),
                                        site=site))
    return listing, layout
