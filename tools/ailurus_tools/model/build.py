"""``python -m ailurus_tools.model.build``: write ``<repo>/<name>/<version>/model.onnx``
and ``labels.txt`` reproducibly (same bytes on every run)."""

import argparse
import hashlib
import io
import sys
from pathlib import Path

import torch

from ailurus_tools.model.labels import imagenet_labels
from ailurus_tools.model.network import INPUT_SIZE_PX, ServingModel, load_backbone

INPUT_NAME = "image"
OUTPUT_NAME = "probabilities"
OPSET = 17


def export_onnx(model: torch.nn.Module) -> bytes:
    """Export with a dynamic batch dimension through the TorchScript exporter."""
    example = torch.zeros((1, INPUT_SIZE_PX, INPUT_SIZE_PX, 3), dtype=torch.uint8)
    buffer = io.BytesIO()
    torch.onnx.export(
        model, (example,), buffer,
        input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
        dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
        opset_version=OPSET, do_constant_folding=True,
        dynamo=False,  # the dynamo path needs onnxscript, which this project does not ship
    )
    return buffer.getvalue()


def build(repo: Path, name: str, version: int) -> Path:
    """Build the model files; returns the ONNX path."""
    model_dir = repo / name
    version_dir = model_dir / str(version)
    version_dir.mkdir(parents=True, exist_ok=True)
    onnx_bytes = export_onnx(ServingModel(load_backbone()))
    onnx_path = version_dir / "model.onnx"
    onnx_path.write_bytes(onnx_bytes)
    (model_dir / "labels.txt").write_text("\n".join(imagenet_labels()) + "\n", encoding="utf-8")
    print(f"model: wrote {onnx_path} ({len(onnx_bytes) / 1e6:.1f} MB, sha256 {hashlib.sha256(onnx_bytes).hexdigest()[:16]})")
    return onnx_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repo", type=Path, default=Path("model_repository"))
    parser.add_argument("--name", default="ailurus_classifier")
    parser.add_argument("--version", type=int, default=1)
    args = parser.parse_args(argv)
    build(args.repo, args.name, args.version)
    return 0


if __name__ == "__main__":
    sys.exit(main())
