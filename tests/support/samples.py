"""Paths to the shared sample images (read in place, never copied into the repo)."""

from pathlib import Path

SAMPLES_DIR = (Path(__file__).resolve().parents[2] / ".." / "shared" / "samples").resolve()
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".heic", ".webp", ".gif", ".tiff", ".tif", ".bmp"}


def sample_files(folder: str) -> list[Path]:
    """Every image file in ``samples/<folder>``, sorted."""
    return sorted(p for p in (SAMPLES_DIR / folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def sample(relative: str) -> Path:
    return SAMPLES_DIR / relative
