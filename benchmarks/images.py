"""The benchmark's input: sample camera-trap JPEGs, read once into memory."""

from pathlib import Path

from PIL import Image

SAMPLES_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "samples"


def camera_trap_jpegs(*, size: tuple[int, int] | None = None) -> list[tuple[str, bytes]]:
    """(name, bytes) of the camera-trap JPEG samples (by content, whatever the suffix),
    optionally only those of one pixel size."""
    images = []
    for path in sorted((SAMPLES_DIR / "cameratrap").iterdir()):
        data = path.read_bytes()
        if data[:3] != b"\xff\xd8\xff":
            continue
        if size is not None:
            with Image.open(path) as image:
                if image.size != size:
                    continue
        images.append((path.name, data))
    return images


def unique_batches(images: list[tuple[str, bytes]], *, batch_size: int, batches: int,
                   tag: str) -> list[list[tuple[str, bytes]]]:
    """Batches of files that are all different uploads: bytes after the JPEG end marker
    change the content hash (so none is a duplicate) but not the decoded picture."""
    out, n = [], 0
    for _ in range(batches):
        batch = []
        for _ in range(batch_size):
            name, data = images[n % len(images)]
            batch.append((f"{n:05d}-{name}", data + f"{tag}-{n}".encode()))
            n += 1
        out.append(batch)
    return out
