"""The same ONNX file run in-process by ONNX Runtime (no Triton): the fallback where the
Triton wheel does not install, and the naive baseline in benchmarks."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import onnxruntime as ort

from ailurus_common.contracts.serving import ServedModel
from ailurus_common.records import ModelRef
from preprocess.errors import ClassifierUnavailable


def latest_version_dir(model_dir: Path) -> Path:
    """The highest numbered ``<version>/`` holding a ``model.onnx``."""
    versions = [p for p in model_dir.iterdir() if p.name.isdigit() and (p / "model.onnx").is_file()]
    if not versions:
        raise ClassifierUnavailable(f"no <version>/model.onnx under {model_dir} (run `make model`)")
    return max(versions, key=lambda p: int(p.name))


class OnnxClassifier:
    def __init__(self, model_dir: Path, model_name: str, *, threads: int) -> None:
        version_dir = latest_version_dir(model_dir)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(version_dir / "model.onnx"), options,
                                             providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name
        self._output = self._session.get_outputs()[0].name
        self.model = ModelRef(name=model_name, version=version_dir.name)
        # One session, one caller at a time: ORT already uses every core per call.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="onnx")

    def run(self, pixels: np.ndarray) -> np.ndarray:
        """Synchronous inference (for benchmarks and the executor)."""
        return self._session.run([self._output], {self._input: pixels})[0]

    async def is_ready(self, model: ServedModel) -> bool:
        return True

    async def input_size_px(self, model: str) -> int:
        return int(self._session.get_inputs()[0].shape[1])

    async def classify(self, pixels: np.ndarray, model: ServedModel) -> tuple[np.ndarray, ModelRef]:
        # One file in-process: it answers whatever is asked, and says which model it is.
        probabilities = await asyncio.get_running_loop().run_in_executor(self._executor, self.run, pixels)
        return probabilities, self.model

    async def close(self) -> None:
        self._executor.shutdown(wait=False)
