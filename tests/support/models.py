"""A second served model for the tests that switch models: the base network under another
name with its own labels (no training needed)."""

import shutil
from pathlib import Path

BASE = "ailurus_classifier"
ALT = "ailurus_alt"


def alt_model(model_dir: Path, target: Path) -> Path:
    """A second label set: the same network under a new name with its own labels."""
    folder = target / ALT
    folder.mkdir(parents=True)
    config = (model_dir / "config.pbtxt").read_text(encoding="utf-8")
    (folder / "config.pbtxt").write_text(config.replace(f'name: "{BASE}"', f'name: "{ALT}"'), encoding="utf-8")
    labels = (model_dir / "labels.txt").read_text(encoding="utf-8").splitlines()
    (folder / "labels.txt").write_text("".join(f"alt {label}\n" for label in labels), encoding="utf-8")
    shutil.copyfile(model_dir / "taxonomy.json", folder / "taxonomy.json")
    (folder / "1").mkdir()
    (folder / "1" / "model.onnx").symlink_to((model_dir / "1" / "model.onnx").resolve())
    return folder
