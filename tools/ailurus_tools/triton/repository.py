"""Derive the local (Python-backend) model repository from the production one.

The production ``config.pbtxt`` stays the single source of names, dims and batching
limits; locally the backend becomes Python (ONNX Runtime inside), one CPU instance, a
short queue delay and no preferred sizes (on CPU batch 1 is already cheapest, so
waiting to fill a batch only adds latency), plus ORT's thread count as a parameter.
"""

import shutil
from pathlib import Path

from google.protobuf import text_format
from tritonclient.grpc import model_config_pb2 as mc

_MODEL_PY = Path(__file__).with_name("onnx_python_model.py")


def load_config(config_path: Path) -> mc.ModelConfig:
    """Parse a ``config.pbtxt`` with Triton's own ModelConfig schema."""
    return text_format.Parse(config_path.read_text(encoding="utf-8"), mc.ModelConfig())


def local_config(production: mc.ModelConfig, *, max_queue_delay_us: int, intra_op_threads: int) -> mc.ModelConfig:
    config = mc.ModelConfig()
    config.CopyFrom(production)
    config.backend = "python"
    del config.instance_group[:]
    config.instance_group.add(count=1, kind=mc.ModelInstanceGroup.KIND_CPU)
    del config.dynamic_batching.preferred_batch_size[:]
    config.dynamic_batching.max_queue_delay_microseconds = max_queue_delay_us
    config.parameters["intra_op_threads"].string_value = str(intra_op_threads)
    return config


def install_local_model(model_src: Path, target: Path, *, max_queue_delay_us: int, intra_op_threads: int) -> bool:
    """Write the Python-backend form of one production model folder as ``target/<name>``
    (replacing it). False when the folder has no built version. Model files are linked."""
    versions = sorted(p for p in model_src.iterdir() if p.is_dir() and p.name.isdigit() and (p / "model.onnx").is_file())
    if not versions:
        return False
    model_dst = target / model_src.name
    if model_dst.exists():
        shutil.rmtree(model_dst)
    model_dst.mkdir(parents=True)
    config = local_config(load_config(model_src / "config.pbtxt"), max_queue_delay_us=max_queue_delay_us,
                          intra_op_threads=intra_op_threads)
    (model_dst / "config.pbtxt").write_text(text_format.MessageToString(config), encoding="utf-8")
    for extra in model_src.iterdir():
        if extra.is_file() and extra.name != "config.pbtxt":
            (model_dst / extra.name).symlink_to(extra.resolve())
    for version in versions:
        (model_dst / version.name).mkdir()
        (model_dst / version.name / "model.onnx").symlink_to((version / "model.onnx").resolve())
        shutil.copyfile(_MODEL_PY, model_dst / version.name / "model.py")
    return True


def build_local_repository(sources: list[Path], target: Path, *, max_queue_delay_us: int,
                           intra_op_threads: int) -> list[str]:
    """Write ``target`` as a Python-backend repository serving every model in ``sources``
    (a later source's model replaces an earlier one of the same name).

    Returns the names of the models written.
    """
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    names: list[str] = []
    for source in sources:
        if not source.is_dir():
            continue
        for config_path in sorted(source.glob("*/config.pbtxt")):
            if install_local_model(config_path.parent, target, max_queue_delay_us=max_queue_delay_us,
                                   intra_op_threads=intra_op_threads) and config_path.parent.name not in names:
                names.append(config_path.parent.name)
    return names
