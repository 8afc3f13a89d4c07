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

from ailurus_common.records import ModelRef
from ailurus_common.request_context import current_request_id
from preprocess.errors import ClassifierUnavailable
from preprocess.metrics import TRITON_ERRORS, TRITON_REQUEST_SECONDS

log = logging.getLogger(__name__)
_RETRYABLE = {"StatusCode.UNAVAILABLE"}
INPUT_NAME = "image"
OUTPUT_NAME = "probabilities"


class TritonClassifier:
    def __init__(self, url: str, model_name: str, *, timeout_s: float, retries: int, retry_backoff_s: float,
                 retry_after_s: int) -> None:
        self.model_name = model_name
        self.timeout_s = timeout_s
        self.retries = retries
        self.retry_backoff_s = retry_backoff_s
        self.retry_after_s = retry_after_s
        self._client = grpcclient.InferenceServerClient(url)

    async def is_ready(self) -> bool:
        try:
            return bool(await self._client.is_model_ready(self.model_name, client_timeout=min(self.timeout_s, 2.0)))
        except InferenceServerException:
            return False

    async def classify(self, pixels: np.ndarray) -> tuple[np.ndarray, ModelRef]:
        image = InferInput(INPUT_NAME, list(pixels.shape), "UINT8")
        image.set_data_from_numpy(np.ascontiguousarray(pixels, dtype=np.uint8))
        outputs = [InferRequestedOutput(OUTPUT_NAME)]
        attempt = 0
        while True:
            loop = asyncio.get_running_loop()
            start = loop.time()
            try:
                result = await self._client.infer(self.model_name, [image], outputs=outputs,
                                                  client_timeout=self.timeout_s,
                                                  request_id=current_request_id() or "")
            except InferenceServerException as exc:
                status = exc.status() or "unknown"
                TRITON_ERRORS.labels(self.model_name, status).inc()
                if status in _RETRYABLE and attempt < self.retries:
                    attempt += 1
                    await asyncio.sleep(self.retry_backoff_s * attempt)
                    continue
                log.warning("triton call failed: %s %s", status, exc.message())
                raise ClassifierUnavailable(f"the classifier is unavailable ({status})",
                                            retry_after_s=self.retry_after_s) from None
            TRITON_REQUEST_SECONDS.labels(self.model_name).observe(loop.time() - start)
            response = result.get_response()
            return result.as_numpy(OUTPUT_NAME), ModelRef(name=response.model_name, version=response.model_version)

    async def close(self) -> None:
        await self._client.close()
