"""The ceiling: decode + resize + ONNX Runtime in this process, one image at a time."""

import resource
import time
from pathlib import Path

from preprocess.classifier.onnx import OnnxClassifier
from preprocess.config import PreprocessSettings
from preprocess.decode import configure_decoders, decode


def bare_rate(images: list[tuple[str, bytes]], model_dir: Path, *, rounds: int) -> dict:
    """images/s, mean per-stage ms and CPU ms per image for sequential decode+infer (batch 1,
    ORT on every core)."""
    s = PreprocessSettings()
    configure_decoders(max_pixels=s.max_pixels)
    limits = s.decode_limits()
    classifier = OnnxClassifier(model_dir, s.model_name, threads=s.onnx_threads)
    for _, data in images[:3]:  # warm-up: first ORT runs allocate
        classifier.run(decode(data, limits, input_size_px=s.input_size_px, crop_fraction=s.crop_fraction).pixels[None])
    decode_s = infer_s = 0.0
    count = 0
    cpu_before = _cpu_s()
    start = time.perf_counter()
    for _ in range(rounds):
        for _, data in images:
            t0 = time.perf_counter()
            pixels = decode(data, limits, input_size_px=s.input_size_px, crop_fraction=s.crop_fraction).pixels
            t1 = time.perf_counter()
            classifier.run(pixels[None])
            infer_s += time.perf_counter() - t1
            decode_s += t1 - t0
            count += 1
    elapsed_s = time.perf_counter() - start
    cpu_ms = (_cpu_s() - cpu_before) * 1e3 / count
    return {"images": count, "images_per_s": count / elapsed_s, "decode_ms": decode_s / count * 1e3,
            "infer_ms": infer_s / count * 1e3, "cpu_ms_per_image": cpu_ms}


def _cpu_s() -> float:
    """CPU seconds of this process, ONNX Runtime's threads included."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
