"""The built ONNX file against the torch model it was exported from, its tensor
contract, and the reproducibility of the build."""

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from PIL import Image

from ailurus_tools.model.build import INPUT_NAME, OUTPUT_NAME, build
from ailurus_tools.model.network import INPUT_SIZE_PX, ServingModel, load_backbone
from tests.support.samples import sample, sample_files

RED_PANDA_INDEX = 387
CENTRAL_FRACTION = 0.875  # the eval crop of SPEC "The model"
MAX_PROB_DIFF = 1e-4

# ImageNet photos plus full-size camera-trap frames (several aspect ratios and sizes).
REAL_IMAGES = sample_files("animals") + [p for p in sample_files("cameratrap") if p.suffix == ".JPG"]


def central_crop(path: Path) -> np.ndarray:
    """Central square of 0.875 x the short side, resized to 224 bilinear: uint8 RGB HWC."""
    with Image.open(path) as image:
        rgb = image.convert("RGB")
    side = CENTRAL_FRACTION * min(rgb.size)
    left, top = (rgb.width - side) / 2, (rgb.height - side) / 2
    crop = rgb.resize((INPUT_SIZE_PX, INPUT_SIZE_PX), Image.Resampling.BILINEAR,
                      box=(left, top, left + side, top + side))
    return np.asarray(crop, dtype=np.uint8)


@pytest.fixture(scope="module")
def torch_model() -> torch.nn.Module:
    return ServingModel(load_backbone()).eval()


@pytest.fixture(scope="module")
def session(model_dir: Path) -> ort.InferenceSession:
    return ort.InferenceSession(str(model_dir / "1" / "model.onnx"), providers=["CPUExecutionProvider"])


@pytest.fixture(scope="module")
def onnx_graph(model_dir: Path) -> onnx.GraphProto:
    return onnx.load(str(model_dir / "1" / "model.onnx")).graph


@pytest.fixture(scope="module")
def real_batch() -> np.ndarray:
    return np.stack([central_crop(path) for path in REAL_IMAGES])


def run_onnx(session: ort.InferenceSession, batch: np.ndarray) -> np.ndarray:
    (probabilities,) = session.run([OUTPUT_NAME], {INPUT_NAME: batch})
    return probabilities


def run_torch(model: torch.nn.Module, batch: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(batch)).numpy()


def shape_of(value: onnx.ValueInfoProto) -> list[int | str]:
    """Dims of a graph input/output: an int when fixed, the symbol name when dynamic."""
    return [dim.dim_value if dim.HasField("dim_value") else dim.dim_param
            for dim in value.type.tensor_type.shape.dim]


def test_crop_real_images_gives_uint8_nhwc_batch(real_batch):
    assert len(REAL_IMAGES) >= 6
    assert real_batch.shape == (len(REAL_IMAGES), INPUT_SIZE_PX, INPUT_SIZE_PX, 3)
    assert real_batch.dtype == np.uint8
    # Real photos, not blank frames: every crop has texture.
    assert all(crop.std() > 10 for crop in real_batch)


def test_run_onnx_matches_torch_on_real_images(torch_model, session, real_batch):
    expected = run_torch(torch_model, real_batch)
    actual = run_onnx(session, real_batch)
    assert actual.shape == expected.shape == (len(REAL_IMAGES), 1000)
    assert actual.dtype == np.float32
    assert np.abs(actual - expected).max() < MAX_PROB_DIFF
    assert actual.argmax(axis=1).tolist() == expected.argmax(axis=1).tolist()


def test_run_onnx_matches_torch_on_single_image(torch_model, session, real_batch):
    # Batch 1 is the common case on CPU (SPEC): it must agree as well as a full batch.
    single = real_batch[:1]
    assert np.abs(run_onnx(session, single) - run_torch(torch_model, single)).max() < MAX_PROB_DIFF


def test_classify_red_panda_sample_confidently(session):
    probabilities = run_onnx(session, central_crop(sample("animals/skeydan_red_panda.jpg"))[np.newaxis])[0]
    assert int(probabilities.argmax()) == RED_PANDA_INDEX
    assert probabilities[RED_PANDA_INDEX] > 0.8


def test_classify_giant_panda_sample_not_as_red_panda(session):
    probabilities = run_onnx(session, central_crop(sample("animals/skeydan_giant_panda.jpg"))[np.newaxis])[0]
    assert int(probabilities.argmax()) == RED_PANDA_INDEX + 1  # 388: giant panda
    assert probabilities[RED_PANDA_INDEX] < 0.1


def test_read_graph_input_as_uint8_nhwc_with_dynamic_batch(onnx_graph):
    (image,) = onnx_graph.input
    assert image.name == INPUT_NAME == "image"
    assert image.type.tensor_type.elem_type == onnx.TensorProto.UINT8
    batch, *rest = shape_of(image)
    assert isinstance(batch, str) and batch  # a named symbol, not a fixed size
    assert rest == [INPUT_SIZE_PX, INPUT_SIZE_PX, 3]


def test_read_graph_output_as_float_probabilities_with_dynamic_batch(onnx_graph):
    (probabilities,) = onnx_graph.output
    assert probabilities.name == OUTPUT_NAME == "probabilities"
    assert probabilities.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    batch, *rest = shape_of(probabilities)
    assert isinstance(batch, str) and batch
    assert rest == [1000]


def test_check_graph_passes_onnx_checker(model_dir):
    onnx.checker.check_model(str(model_dir / "1" / "model.onnx"))


def test_run_onnx_rows_sum_to_one_for_batch_of_three(session):
    rng = np.random.default_rng(0)
    batch = rng.integers(0, 256, size=(3, INPUT_SIZE_PX, INPUT_SIZE_PX, 3), dtype=np.uint8)
    probabilities = run_onnx(session, batch)
    assert probabilities.shape == (3, 1000)
    assert (probabilities >= 0).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


# build() uses the TorchScript exporter on purpose (dynamo=False, SPEC); its notices are expected.
@pytest.mark.filterwarnings("ignore:Constant folding:UserWarning", "ignore::DeprecationWarning:torch.*",
                            "ignore:You are using the legacy TorchScript:DeprecationWarning")
def test_build_model_twice_gives_identical_bytes(tmp_path):
    first = build(tmp_path / "a", "m", 1)
    second = build(tmp_path / "b", "m", 1)
    assert first == tmp_path / "a" / "m" / "1" / "model.onnx"
    assert first.stat().st_size > 1_000_000
    assert first.read_bytes() == second.read_bytes()
    labels_a = (tmp_path / "a" / "m" / "labels.txt").read_bytes()
    assert labels_a == (tmp_path / "b" / "m" / "labels.txt").read_bytes()
    lines = labels_a.decode("utf-8").splitlines()
    assert len(lines) == 1000
    assert lines[RED_PANDA_INDEX] == "lesser panda, red panda"
    assert all(lines)


def test_read_built_labels_match_onnx_classes(model_dir, onnx_graph):
    lines = (model_dir / "labels.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) == shape_of(onnx_graph.output[0])[1] == 1000
    assert lines[RED_PANDA_INDEX] == "lesser panda, red panda"
