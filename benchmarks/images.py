"""The benchmark's input: the sample camera-trap JPEGs, read once into memory."""

from pathlib import Path

SAMPLES_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "samples"


def camera_trap_jpegs() -> list[tuple[str, bytes]]:
    """(name, bytes) of every camera-trap JPEG sample (content JPEG, whatever the suffix)."""
    files = sorted((SAMPLES_DIR / "cameratrap").iterdir())
    images = [(p.name, p.read_bytes()) for p in files if p.is_file()]
    return [(name, data) for name, data in images if data[:3] == b"\xff\xd8\xff"]
