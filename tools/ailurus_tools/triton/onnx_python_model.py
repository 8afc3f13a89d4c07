"""Triton Python-backend model that runs the production ONNX file in ONNX Runtime.

The wheel's Triton has only the Python backend; this model serves the same
``model.onnx`` under the same model and tensor names as the production ONNX Runtime
backend. Triton's dynamic batcher hands ``execute`` several requests at once: they
run as one ONNX Runtime batch.
"""

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def initialize(self, args: dict) -> None:
        config = json.loads(args["model_config"])
        params = {k: v["string_value"] for k, v in config.get("parameters", {}).items()}
        self.input_name = config["input"][0]["name"]
        self.output_name = config["output"][0]["name"]
        options = ort.SessionOptions()
        options.intra_op_num_threads = int(params.get("intra_op_threads", "0"))
        options.inter_op_num_threads = 1
        # Spinning worker threads burn the CPU that decoding and the services need between
        # batches; on a small shared node that costs more throughput than it saves latency.
        options.add_session_config_entry("session.intra_op.allow_spinning", params.get("allow_spinning", "0"))
        onnx_path = Path(args["model_repository"]) / args["model_version"] / "model.onnx"
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])

    def execute(self, requests: list) -> list:
        images = [pb_utils.get_input_tensor_by_name(r, self.input_name).as_numpy() for r in requests]
        sizes = [len(batch) for batch in images]
        probabilities = self.session.run([self.output_name], {self.input_name: np.concatenate(images)})[0]
        responses, start = [], 0
        for size in sizes:
            out = pb_utils.Tensor(self.output_name, probabilities[start:start + size])
            responses.append(pb_utils.InferenceResponse(output_tensors=[out]))
            start += size
        return responses
