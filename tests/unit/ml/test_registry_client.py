"""The model registry over a real MLflow (sqlite store, local artifact folder) and the real model folder."""

import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ailurus_ml.config import MlSettings
from ailurus_ml.registry import (
    CHALLENGER,
    CHAMPION,
    LabelSetConflict,
    ModelNotFound,
    ModelVersionInfo,
    Registry,
    RegistryError,
    current_code_version,
)

from .registry_factories import MODEL_NAME, copy_model_folder, evaluation, make_registry, write_model_folder

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def model_dir(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real built model folder, copied once for this module."""
    return copy_model_folder(model_dir, tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    return make_registry(tmp_path_factory.mktemp("registry"))


@pytest.fixture(scope="module")
def plot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plots") / "confusion_matrix.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n fake chart")
    return path


@pytest.fixture(scope="module")
def versions(registry: Registry, model_dir: Path, plot: Path) -> list[ModelVersionInfo]:
    """The real ailurus_classifier folder registered twice, with different metrics."""
    first = registry.register(model_dir, name=MODEL_NAME, metrics=evaluation(macro_recall=0.61, red_panda_recall=0.8),
                              params={"method": "head", "epochs": 20}, dataset_id="stations-ab-1",
                              code_version="abc123", plots=[plot])
    second = registry.register(model_dir, name=MODEL_NAME,
                               metrics=evaluation(macro_recall=0.68, red_panda_recall=None, live_macro_recall=0.13),
                               params={"method": "head", "epochs": 30, "lr": 0.01}, dataset_id="stations-ab-2")
    return [first, second]


def test_register_numbers_versions_and_tags_them(versions: list[ModelVersionInfo]) -> None:
    first, second = versions
    assert (first.version, second.version) == (1, 2)
    assert first.status == "READY" and first.run_id and first.run_id != second.run_id
    assert first.dataset_id == "stations-ab-1" and second.dataset_id == "stations-ab-2"
    assert first.code_version == "abc123"
    assert second.code_version == current_code_version()
    assert first.label_count == second.label_count == 1000
    assert first.tags["ailurus.model_name"] == MODEL_NAME
    assert first.source.endswith(f"/artifacts/{MODEL_NAME}")


def test_register_logs_flat_numeric_metrics_and_params(versions: list[ModelVersionInfo]) -> None:
    first, second = versions
    assert first.metrics == {"macro_recall": 0.61, "red_panda_recall": 0.8, "top1": pytest.approx(0.66)}
    # None (no red panda in the split) cannot be an MLflow metric: it stays only in metrics.json.
    assert "red_panda_recall" not in second.metrics
    assert second.metrics["live_macro_recall"] == 0.13
    assert first.params == {"method": "head", "epochs": "20"}
    assert second.params["lr"] == "0.01"


def test_show_lists_model_files_plots_and_nested_metrics(registry: Registry, versions: list[ModelVersionInfo],
                                                          model_dir: Path) -> None:
    info = registry.show(MODEL_NAME, version=1)
    paths = {artifact.path: artifact.size_bytes for artifact in info.artifacts}
    assert set(paths) == {f"{MODEL_NAME}/config.pbtxt", f"{MODEL_NAME}/labels.txt", f"{MODEL_NAME}/taxonomy.json",
                          f"{MODEL_NAME}/1/model.onnx", "metrics.json", "plots/confusion_matrix.png"}
    assert paths[f"{MODEL_NAME}/1/model.onnx"] == (model_dir / "1" / "model.onnx").stat().st_size
    assert info.evaluation["confusion_matrix"]["counts"] == [[10, 2], [1, 30]]
    assert info.evaluation["per_class"]["red_panda"]["recall"] == 0.8
    assert registry.show(MODEL_NAME, version=2).evaluation["red_panda_recall"] is None


def test_show_without_version_returns_newest(registry: Registry, versions: list[ModelVersionInfo]) -> None:
    assert registry.show(MODEL_NAME, details=False).version == 2


def test_list_returns_versions_newest_first_with_aliases(registry: Registry, versions: list[ModelVersionInfo]) -> None:
    registry.set_alias(MODEL_NAME, CHAMPION, 1)
    [model] = [model for model in registry.list() if model.name == MODEL_NAME]
    assert [version.version for version in model.versions] == [2, 1]
    assert model.aliases[CHAMPION] == 1
    assert model.versions[1].aliases == [CHAMPION]
    assert model.versions[0].metrics["macro_recall"] == 0.68


def test_set_alias_moves_alias_and_get_by_alias_follows(registry: Registry, versions: list[ModelVersionInfo]) -> None:
    registry.set_alias(MODEL_NAME, CHALLENGER, 1)
    assert registry.get_by_alias(MODEL_NAME, CHALLENGER).version == 1
    moved = registry.set_alias(MODEL_NAME, CHALLENGER, 2)
    assert moved.version == 2 and CHALLENGER in moved.aliases
    assert registry.get_by_alias(MODEL_NAME, CHALLENGER).version == 2
    assert CHALLENGER not in registry.show(MODEL_NAME, version=1, details=False).aliases
    registry.delete_alias(MODEL_NAME, CHALLENGER)
    with pytest.raises(ModelNotFound):
        registry.get_by_alias(MODEL_NAME, CHALLENGER)


def test_set_alias_reserved_name_raises_registry_error(registry: Registry, versions: list[ModelVersionInfo]) -> None:
    with pytest.raises(RegistryError, match="cannot be an alias"):
        registry.set_alias(MODEL_NAME, "latest", 1)


def test_download_returns_servable_folder_with_same_bytes(registry: Registry, versions: list[ModelVersionInfo],
                                                          model_dir: Path, tmp_path: Path) -> None:
    folder = registry.download(MODEL_NAME, 2, tmp_path / "serve")
    assert folder == tmp_path / "serve" / MODEL_NAME
    assert sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()) == [
        "1/model.onnx", "config.pbtxt", "labels.txt", "taxonomy.json"]
    for relative in ("1/model.onnx", "config.pbtxt", "labels.txt", "taxonomy.json"):
        assert (folder / relative).read_bytes() == (model_dir / relative).read_bytes()
    assert not (folder / "labels.txt").is_symlink()


@pytest.mark.parametrize(("version", "alias", "message"), [
    (None, None, "no registered model"), (9, None, "no version 9"), (None, "nope", "no alias 'nope'")])
def test_show_unknown_target_raises_not_found(registry: Registry, versions: list[ModelVersionInfo], version: int | None,
                                             alias: str | None, message: str) -> None:
    name = "no_such_model" if message == "no registered model" else MODEL_NAME
    with pytest.raises(ModelNotFound, match=message):
        registry.show(name, version=version, alias=alias)


def test_register_other_label_set_under_same_name_conflicts(registry: Registry, versions: list[ModelVersionInfo],
                                                            tmp_path: Path) -> None:
    folder = write_model_folder(tmp_path, name=MODEL_NAME, labels=["red_panda", "deer", "blank"])
    with pytest.raises(LabelSetConflict, match="new model name"):
        registry.register(folder, name=MODEL_NAME, metrics={}, params={}, dataset_id="d")
    assert registry.show(MODEL_NAME, details=False).version == 2


def test_register_new_label_set_under_new_name_starts_at_version_one(registry: Registry, tmp_path: Path) -> None:
    folder = write_model_folder(tmp_path, name="ailurus_stations", labels=["red_panda", "deer", "blank"])
    info = registry.register(folder, name="ailurus_stations", metrics={"macro_recall": 0.5}, params={}, dataset_id="d")
    assert (info.version, info.label_count) == (1, 3)


@pytest.mark.parametrize("broken", ["missing_taxonomy", "config_names_other_model", "no_onnx", "bad_name"])
def test_register_broken_folder_raises_and_leaves_no_model(registry: Registry, tmp_path: Path, broken: str) -> None:
    name = "broken_model"
    folder = write_model_folder(tmp_path, name=name, labels=["a", "b"])
    if broken == "missing_taxonomy":
        (folder / "taxonomy.json").unlink()
    elif broken == "config_names_other_model":
        (folder / "config.pbtxt").write_text('name: "someone_else"\n', encoding="utf-8")
    elif broken == "no_onnx":
        (folder / "1" / "model.onnx").unlink()
    else:
        name = "bad name!"
    with pytest.raises(RegistryError):
        registry.register(folder, name=name, metrics={}, params={}, dataset_id="d")
    with pytest.raises(ModelNotFound):
        registry.show(name)


def test_register_failing_version_creation_leaves_no_empty_model(registry: Registry, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_model_folder(tmp_path, name="half_registered", labels=["a", "b"])

    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("registry unavailable")

    monkeypatch.setattr(registry.client, "create_model_version", refuse)
    with pytest.raises(RuntimeError):
        registry.register(folder, name="half_registered", metrics={}, params={}, dataset_id="d")
    monkeypatch.undo()
    with pytest.raises(ModelNotFound):
        registry.show("half_registered")


def test_from_settings_uses_ml_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ML_REGISTRY_URI", f"sqlite:///{tmp_path / 'nested' / 'reg.db'}")
    monkeypatch.setenv("ML_ARTIFACT_ROOT", str(tmp_path / "art"))
    registry = Registry.from_settings(MlSettings())
    assert registry.tracking_uri == registry.registry_uri
    assert (tmp_path / "nested").is_dir()  # the sqlite file's folder is created on first use
    assert registry.list() == []


def test_current_code_version_outside_git_is_unknown(tmp_path: Path) -> None:
    assert current_code_version(tmp_path) == "unknown"
    assert len(current_code_version(ROOT)) == 40


def test_register_and_list_open_no_network_connection(tmp_path: Path) -> None:
    # A fresh interpreter (telemetry is decided when mlflow is imported) outside pytest's env marker
    # (mlflow also turns telemetry off under PYTEST_CURRENT_TEST), every socket connect recorded.
    script = textwrap.dedent(f"""
        import json, socket, sys
        from pathlib import Path
        connects = []
        real_connect = socket.socket.connect
        def record(self, address):
            connects.append(repr(address))
            return real_connect(self, address)
        socket.socket.connect = record
        socket.socket.connect_ex = record
        sys.path[:0] = {[str(ROOT / "ml"), str(ROOT / "libs" / "ailurus_common"), str(ROOT / "tests" / "unit" / "ml")]}
        from registry_factories import make_registry, write_model_folder
        registry = make_registry(Path({str(tmp_path)!r}))
        folder = write_model_folder(Path({str(tmp_path)!r}), name="offline_model", labels=["a", "b"])
        registry.register(folder, name="offline_model", metrics={{"macro_recall": 0.5}}, params={{}}, dataset_id="d")
        registry.list()
        from mlflow.telemetry.client import get_telemetry_client
        print(json.dumps({{"connects": connects, "telemetry": get_telemetry_client() is not None}}))
    """)
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_CURRENT_TEST" and key != "CI"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == '{"connects": [], "telemetry": false}'


def test_concurrent_registers_of_new_model_get_distinct_versions(registry: Registry, tmp_path: Path) -> None:
    # Both find the model missing and create it: one creation wins, neither registration fails.
    folders = [write_model_folder(tmp_path / str(index), name="raced_model", labels=["a", "b"]) for index in range(2)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        infos = list(pool.map(lambda folder: registry.register(folder, name="raced_model", metrics={}, params={},
                                                               dataset_id=folder.parent.name), folders))
    assert sorted(info.version for info in infos) == [1, 2]
    [model] = [model for model in registry.list() if model.name == "raced_model"]
    assert [version.version for version in model.versions] == [2, 1]
