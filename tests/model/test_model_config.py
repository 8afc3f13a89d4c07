"""Every ``config.pbtxt`` against Triton's ModelConfig schema and the ONNX file it
serves, and the local (Python-backend) repository derived from it."""

from pathlib import Path

import onnx
import pytest
from google.protobuf import text_format
from tritonclient.grpc import model_config_pb2 as mc

from ailurus_tools.triton.repository import build_local_repository, load_config, local_config

REPO = Path(__file__).resolve().parents[2] / "model_repository"
CONFIGS = sorted(REPO.glob("*/config.pbtxt"))
LOCAL_QUEUE_DELAY_US = 100
LOCAL_INTRA_OP_THREADS = 2

# Triton's data types for the ONNX element types this project's models use.
TRITON_TO_ONNX = {
    mc.TYPE_UINT8: onnx.TensorProto.UINT8,
    mc.TYPE_FP32: onnx.TensorProto.FLOAT,
    mc.TYPE_FP16: onnx.TensorProto.FLOAT16,
    mc.TYPE_INT32: onnx.TensorProto.INT32,
    mc.TYPE_INT64: onnx.TensorProto.INT64,
    mc.TYPE_BOOL: onnx.TensorProto.BOOL,
}


def latest_onnx(model_dir: Path) -> Path:
    versions = sorted((p for p in model_dir.iterdir() if p.is_dir() and p.name.isdigit()), key=lambda p: int(p.name))
    if not versions:
        pytest.fail(f"{model_dir.name}: no built version: run `make model`")
    return versions[-1] / "model.onnx"


def tensors(config_tensors, graph_values) -> tuple[list, list]:
    """(name, onnx elem type, dims without batch) from a config and from a graph."""
    from_config = [(t.name, TRITON_TO_ONNX[t.data_type], list(t.dims)) for t in config_tensors]
    from_graph = [(v.name, v.type.tensor_type.elem_type, [d.dim_value for d in v.type.tensor_type.shape.dim[1:]])
                  for v in graph_values]
    return sorted(from_config), sorted(from_graph)


def test_find_configs_in_model_repository():
    assert REPO / "ailurus_classifier" / "config.pbtxt" in CONFIGS


@pytest.fixture(scope="module", params=CONFIGS, ids=lambda p: p.parent.name)
def config_path(request, model_dir) -> Path:  # model_dir: the files checked here exist only after a build
    return request.param


@pytest.fixture(scope="module")
def config(config_path: Path) -> mc.ModelConfig:
    return text_format.Parse(config_path.read_text(encoding="utf-8"), mc.ModelConfig())


def test_parse_config_names_its_folder(config, config_path):
    # Triton refuses a model whose config name differs from its directory.
    assert config.name == config_path.parent.name


def test_parse_config_uses_onnxruntime_with_batching(config):
    assert config.backend == "onnxruntime"
    assert config.max_batch_size > 0
    assert config.HasField("dynamic_batching")
    preferred = list(config.dynamic_batching.preferred_batch_size)
    assert preferred
    assert all(0 < size <= config.max_batch_size for size in preferred)


def test_parse_config_has_instance_groups(config):
    assert len(config.instance_group) > 0
    assert all(group.count > 0 for group in config.instance_group)


def test_parse_config_output_labels_exist_after_build(config, config_path):
    label_files = [output.label_filename for output in config.output if output.label_filename]
    assert label_files
    for name in label_files:
        assert (config_path.parent / name).is_file()


def test_parse_config_tensors_match_onnx_graph(config, config_path):
    graph = onnx.load(str(latest_onnx(config_path.parent)), load_external_data=False).graph
    config_inputs, graph_inputs = tensors(config.input, graph.input)
    config_outputs, graph_outputs = tensors(config.output, graph.output)
    assert config_inputs == graph_inputs
    assert config_outputs == graph_outputs
    # Config dims exclude the batch dim, so the graph's first dim must be the dynamic batch.
    for value in [*graph.input, *graph.output]:
        assert value.type.tensor_type.shape.dim[0].dim_param


def test_parse_config_label_count_matches_output_dims(config, config_path):
    for output in config.output:
        if output.label_filename:
            lines = (config_path.parent / output.label_filename).read_text(encoding="utf-8").splitlines()
            assert [len(lines)] == list(output.dims)


def test_derive_local_config_keeps_contract(config_path):
    production = load_config(config_path)
    local = local_config(production, max_queue_delay_us=LOCAL_QUEUE_DELAY_US, intra_op_threads=LOCAL_INTRA_OP_THREADS)
    assert local.backend == "python"
    assert local.name == production.name
    assert local.max_batch_size == production.max_batch_size
    assert list(local.input) == list(production.input)
    assert list(local.output) == list(production.output)
    assert local.dynamic_batching.max_queue_delay_microseconds == LOCAL_QUEUE_DELAY_US
    assert local.parameters["intra_op_threads"].string_value == str(LOCAL_INTRA_OP_THREADS)
    assert [(g.count, g.kind) for g in local.instance_group] == [(1, mc.ModelInstanceGroup.KIND_CPU)]
    # Deriving must not touch the production message it was given.
    assert production.backend == "onnxruntime"
    assert production == load_config(config_path)


def test_derive_local_config_round_trips_text_format(config_path):
    local = local_config(load_config(config_path), max_queue_delay_us=LOCAL_QUEUE_DELAY_US,
                         intra_op_threads=LOCAL_INTRA_OP_THREADS)
    assert text_format.Parse(text_format.MessageToString(local), mc.ModelConfig()) == local


def test_build_local_repository_writes_python_models(model_dir, tmp_path):
    target = tmp_path / "repo"
    names = build_local_repository([REPO], target, max_queue_delay_us=LOCAL_QUEUE_DELAY_US,
                                   intra_op_threads=LOCAL_INTRA_OP_THREADS)
    assert model_dir.name in names
    local_dir = target / model_dir.name
    config = load_config(local_dir / "config.pbtxt")
    assert config.backend == "python"
    assert config.dynamic_batching.max_queue_delay_microseconds == LOCAL_QUEUE_DELAY_US
    assert (local_dir / "1" / "model.py").is_file()
    assert "TritonPythonModel" in (local_dir / "1" / "model.py").read_text(encoding="utf-8")
    onnx_link = local_dir / "1" / "model.onnx"
    assert onnx_link.is_symlink()
    assert onnx_link.resolve() == (model_dir / "1" / "model.onnx").resolve()
    labels = local_dir / "labels.txt"
    assert labels.is_file()
    assert labels.read_bytes() == (model_dir / "labels.txt").read_bytes()


def test_build_local_repository_replaces_existing_target(model_dir, tmp_path):
    target = tmp_path / "repo"
    (target / "stale_model").mkdir(parents=True)
    build_local_repository([REPO], target, max_queue_delay_us=LOCAL_QUEUE_DELAY_US,
                           intra_op_threads=LOCAL_INTRA_OP_THREADS)
    assert not (target / "stale_model").exists()
    assert (target / model_dir.name / "config.pbtxt").is_file()
