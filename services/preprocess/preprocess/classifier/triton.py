"""Classify through Triton Inference Server with ``tritonclient.grpc.aio``.

One client (one gRPC channel) per process, a deadline on every call, and a bounded
retry when the server is UNAVAILABLE (restarting, or a connection dropped).
"""

import asyncio
import logging

import numpy as np
import tritonclient.grpc.aio as grpcclient
from tritonclient.grpc import InferInput, InferRequestedOutput
from tritonclient.utils import InferenceServerException

from ailurus_common.contracts.serving import ServedModel
from ailurus_common.records import ModelRef
from ailurus_common.request_context import current_request_id
from ailurus_common.telemetry import inject_context
from preprocess.errors import ClassifierUnavailable
from preprocess.metrics import TRITON_ERRORS, TRITON_REQUEST_SECONDS

log = logging.getLogger(__name__)
_RETRYABLE = {"StatusCode.UNAVAILABLE"}
INPUT_NAME = "image"
OUTPUT_NAME = "probabilities"


class TritonClassifier:
    def __init__(self, url: str, *, timeout_s: float, retries: int, retry_backoff_s: float,
                 retry_after_s: int) -> None:
        self.timeout_s = timeout_s
        self.retries = retries
        self.retry_backoff_s = retry_backoff_s
        self.retry_after_s = retry_after_s
        self._client = grpcclient.InferenceServerClient(url)
        self._input_sizes: dict[str, int] = {}  # per model name: one name, one config

    async def is_ready(self, model: ServedModel) -> bool:
        try:
            return bool(await self._client.is_model_ready(model.name, model.version or "",
                                                          client_timeout=min(self.timeout_s, 2.0)))
        except InferenceServerException:
            return False

    async def input_size_px(self, model: str) -> int:
        if (known := self._input_sizes.get(model)) is not None:
            return known
        try:
            metadata = await self._client.get_model_metadata(model, as_json=True, client_timeout=self.timeout_s)
        except InferenceServerException as exc:
            raise ClassifierUnavailable(f"no metadata for model {model} ({exc.status() or 'unknown'})",
                                        retry_after_s=self.retry_after_s) from None
        image = next((t for t in metadata["inputs"] if t["name"] == INPUT_NAME), None)
        if image is None or len(image["shape"]) != 4 or image["shape"][1] != image["shape"][2]:
            raise ClassifierUnavailable(f"model {model} does not take square NHWC '{INPUT_NAME}' images",
                                        retry_after_s=self.retry_after_s)
        self._input_sizes[model] = int(image["shape"][1])
        return self._input_sizes[model]

    async def classify(self, pixels: np.ndarray, model: ServedModel) -> tuple[np.ndarray, ModelRef]:
        image = InferInput(INPUT_NAME, list(pixels.shape), "UINT8")
        image.set_data_from_numpy(np.ascontiguousarray(pixels, dtype=np.uint8))
        outputs = [InferRequestedOutput(OUTPUT_NAME)]
        attempt = 0
        while True:
            loop = asyncio.get_running_loop()
            start = loop.time()
            try:
                result = await self._client.infer(model.name, [image], model_version=model.version or "", outputs=outputs,
                                                  client_timeout=self.timeout_s,
                                                  request_id=current_request_id() or "",
                                                  # Triton's own OpenTelemetry trace joins ours.
                                                  headers=inject_context({}))
            except InferenceServerException as exc:
                status = exc.status() or "unknown"
                TRITON_ERRORS.labels(model.name, status).inc()
                if status in _RETRYABLE and attempt < self.retries:
                    attempt += 1
                    await asyncio.sleep(self.retry_backoff_s * attempt)
                    continue
                log.warning("triton call failed: %s %s", status, exc.message())
                raise ClassifierUnavailable(f"the classifier is unavailable ({status})",
                                            retry_after_s=self.retry_after_s) from None
            TRITON_REQUEST_SECONDS.labels(model.name).observe(loop.time() - start)
            response = result.get_response()
            return result.as_numpy(OUTPUT_NAME), ModelRef(name=response.model_name, version=response.model_version)

    async def close(self) -> None:
        await self._client.close()
