"""Features of the served backbone, run in ONNX Runtime and cached on disk.

Cache layout under ``MlSettings.cache_dir``: ``features/<extractor digest>/<recipe>/<sha[:2]>/
<sha>_v<view>.npy`` where the recipe is ``plain`` for view 0 and ``aug-s<seed>`` for
augmented views (they depend on the seed). Extraction dominates training (2,000 images:
24-28 s for one view), so a second training on the same images only reads files.
"""

import io
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image
from tqdm import tqdm

from ailurus_common.imaging import upright_rgb
from ailurus_ml.augment import PLAIN_VIEW, make_view
from ailurus_ml.extractor import FEATURE_DIM, FEATURES_OUTPUT, file_digest

BATCH_SIZE = 16


class FeatureExtractor:
    """The feature ONNX model in an ONNX Runtime session."""

    def __init__(self, onnx_path: Path, *, intra_op_threads: int) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = intra_op_threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self.digest = file_digest(onnx_path)

    def __call__(self, pixels: np.ndarray) -> np.ndarray:
        """uint8 ``[N, H, W, 3]`` -> float32 ``[N, 1280]``."""
        return self.session.run([FEATURES_OUTPUT], {"image": pixels})[0]


class FeatureCache:
    """One ``.npy`` per (extractor, image, view); writes are atomic (tmp file + rename)."""

    def __init__(self, root: Path, extractor_digest: str) -> None:
        self.root = root / "features" / extractor_digest[:16]

    def path(self, sha256: str, view: int, *, seed: int) -> Path:
        recipe = "plain" if view == PLAIN_VIEW else f"aug-s{seed}"
        return self.root / recipe / sha256[:2] / f"{sha256}_v{view}.npy"

    def get(self, sha256: str, view: int, *, seed: int) -> np.ndarray | None:
        path = self.path(sha256, view, seed=seed)
        return np.load(path) if path.is_file() else None

    def put(self, sha256: str, view: int, vector: np.ndarray, *, seed: int) -> None:
        path = self.path(sha256, view, seed=seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("wb") as handle:
            np.save(handle, vector.astype(np.float32))
        tmp.replace(path)


@dataclass(frozen=True)
class ViewSpec:
    """How views are made: the serving crop and the seed of the augmented ones."""

    input_size_px: int
    crop_fraction: float
    seed: int


def decode_upright(data: bytes, spec: ViewSpec) -> Image.Image:
    """Image bytes -> the upright RGB frame, decoded as the service decodes it."""
    with Image.open(io.BytesIO(data)) as image:
        return upright_rgb(image, input_size_px=spec.input_size_px, crop_fraction=spec.crop_fraction).copy()


def plain_pixels(images: dict[str, bytes], sha256s: list[str], spec: ViewSpec) -> np.ndarray:
    """The serving crops of ``sha256s`` as one uint8 batch (for models other than ours)."""
    return np.stack([make_view(decode_upright(images[sha], spec), PLAIN_VIEW, seed=spec.seed, sha256=sha,
                               input_size_px=spec.input_size_px, crop_fraction=spec.crop_fraction)
                     for sha in sha256s])


def extract_features(requests: list[tuple[str, int]], *, load_images: Callable[[list[str]], dict[str, bytes]],
                     extractor: FeatureExtractor, cache: FeatureCache, spec: ViewSpec,
                     progress: bool = True) -> np.ndarray:
    """Features for every (sha256, view) in ``requests``, in order, ``[len, 1280]``.

    Only images with a missing view are read (``load_images``) and decoded, once each.
    """
    out = np.zeros((len(requests), FEATURE_DIM), dtype=np.float32)
    missing: dict[str, list[tuple[int, int]]] = {}
    for row, (sha, view) in enumerate(requests):
        cached = cache.get(sha, view, seed=spec.seed)
        if cached is None:
            missing.setdefault(sha, []).append((row, view))
        else:
            out[row] = cached
    if not missing:
        return out
    images = load_images(list(missing))
    pending_pixels: list[np.ndarray] = []
    pending: list[tuple[int, str, int]] = []

    def flush() -> None:
        vectors = extractor(np.stack(pending_pixels))
        for (row, sha, view), vector in zip(pending, vectors, strict=True):
            out[row] = vector
            cache.put(sha, view, vector, seed=spec.seed)
        pending_pixels.clear()
        pending.clear()

    total = sum(len(v) for v in missing.values())
    with tqdm(total=total, desc="features", unit="view", file=sys.stderr, disable=not progress) as bar:
        for sha, wanted in missing.items():
            upright = decode_upright(images[sha], spec)
            for row, view in wanted:
                pending_pixels.append(make_view(upright, view, seed=spec.seed, sha256=sha,
                                                input_size_px=spec.input_size_px, crop_fraction=spec.crop_fraction))
                pending.append((row, sha, view))
                if len(pending) == BATCH_SIZE:
                    bar.update(len(pending))
                    flush()
        if pending:
            bar.update(len(pending))
            flush()
    return out
