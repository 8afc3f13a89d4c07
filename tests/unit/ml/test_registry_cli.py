"""``ailurus models ...`` through ``main([...])`` on a real sqlite MLflow, and once as the installed script."""

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ailurus_ml.cli import main
from ailurus_ml.config import get_settings

from .registry_factories import MODEL_NAME, copy_model_folder, evaluation

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def model_dir(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real built model folder, copied once for this module."""
    return copy_model_folder(model_dir, tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def registry_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    root = tmp_path_factory.mktemp("cli-registry")
    env = {"ML_REGISTRY_URI": f"sqlite:///{root / 'mlflow.db'}", "ML_ARTIFACT_ROOT": str(root / "artifacts")}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        get_settings.cache_clear()
        yield env
    get_settings.cache_clear()


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)  # exactly one document, or json.loads fails


def write_json(path: Path, document: dict) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def registered(registry_env: dict[str, str], model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> list[int]:
    """Two versions: v1 no better than live, v2 worse than live on macro recall."""
    folder = tmp_path_factory.mktemp("cli-metrics")
    versions = []
    for index, document in enumerate([
            evaluation(macro_recall=0.61, red_panda_recall=0.8, live_macro_recall=0.13, live_red_panda_recall=0.5),
            evaluation(macro_recall=0.10, red_panda_recall=0.9, live_macro_recall=0.13, live_red_panda_recall=0.5)]):
        metrics = write_json(folder / f"metrics-{index}.json", document)
        params = write_json(folder / f"params-{index}.json", {"method": "head", "trials": 4})
        assert main(["models", "register", str(model_dir), "--name", MODEL_NAME, "--metrics", str(metrics),
                     "--params", str(params), "--dataset", f"stations-{index}"]) == 0
        versions.append(index + 1)
    return versions


def test_register_json_prints_the_new_version(registry_env: dict[str, str], registered: list[int], model_dir: Path,
                                              tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    metrics = write_json(tmp_path / "metrics.json", evaluation(macro_recall=0.5, red_panda_recall=None))
    code, document = run_json(capsys, "models", "register", str(model_dir), "--name", MODEL_NAME,
                              "--metrics", str(metrics), "--dataset", "ds-json")
    assert code == 0
    assert (document["name"], document["version"], document["dataset_id"]) == (MODEL_NAME, 3, "ds-json")
    assert document["label_count"] == 1000 and document["metrics"]["macro_recall"] == 0.5


def test_list_json_shows_every_version(registered: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    code, document = run_json(capsys, "models", "list")
    assert code == 0
    [model] = document["models"]
    assert model["name"] == MODEL_NAME
    assert [version["version"] for version in model["versions"]][-2:] == [2, 1]


def test_alias_then_show_by_alias(registered: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    code, document = run_json(capsys, "models", "alias", f"{MODEL_NAME}:1", "champion")
    assert code == 0 and document["aliases"] == ["champion"]
    code, document = run_json(capsys, "models", "show", f"{MODEL_NAME}@champion")
    assert code == 0 and document["version"] == 1
    assert document["params"] == {"method": "head", "trials": "4"}
    assert f"{MODEL_NAME}/1/model.onnx" in {artifact["path"] for artifact in document["artifacts"]}
    assert document["evaluation"]["confusion_matrix"]["labels"] == ["red_panda", "other"]


def test_show_text_names_version_and_metrics(registered: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "show", f"{MODEL_NAME}:2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{MODEL_NAME} v2")
    assert "macro_recall" in out and "stations-1" in out


def test_gate_passes_candidate_no_worse_than_live(registered: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    code, document = run_json(capsys, "models", "gate", f"{MODEL_NAME}:1")
    assert code == 0 and document["passed"] is True
    assert {check["metric"]: check["live"] for check in document["checks"]} == {"red_panda_recall": 0.5,
                                                                                "macro_recall": 0.13}


def test_gate_fails_worse_candidate_with_exit_1(registered: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    code, document = run_json(capsys, "models", "gate", f"{MODEL_NAME}:2")
    assert code == 1 and document["passed"] is False
    assert document["reasons"][0].startswith("macro_recall 0.1000 is worse than live 0.1300")


def test_gate_tolerance_from_settings_lets_small_regression_pass(registered: list[int], monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ML_GATE_MACRO_RECALL_TOLERANCE", "0.05")
    get_settings.cache_clear()
    try:
        code, document = run_json(capsys, "models", "gate", f"{MODEL_NAME}:2")
    finally:
        monkeypatch.delenv("ML_GATE_MACRO_RECALL_TOLERANCE")
        get_settings.cache_clear()
    assert code == 0 and document["passed"] is True


@pytest.mark.parametrize("argv", [["models", "show", "no_such_model"], ["models", "show", f"{MODEL_NAME}:99"],
                                  ["models", "show", f"{MODEL_NAME}@nope"], ["models", "alias", f"{MODEL_NAME}:99", "x"],
                                  ["models", "gate", "no_such_model:1"]])
def test_unknown_target_exits_1_with_one_error_document(registered: list[int], argv: list[str],
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    code = main([*argv, "--json"])
    captured = capsys.readouterr()
    assert code == 1
    assert json.loads(captured.out)["error"]["code"] == "model_not_found"
    assert "Traceback" not in captured.err and captured.err.startswith("ailurus: error: ")


def test_register_unreadable_metrics_exits_1(registered: list[int], model_dir: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "metrics.json").write_text("{not json", encoding="utf-8")
    code = main(["models", "register", str(model_dir), "--name", MODEL_NAME, "--metrics", str(tmp_path / "metrics.json")])
    assert code == 1
    assert "cannot read the metrics file" in capsys.readouterr().err


def test_malformed_reference_is_a_usage_error(registered: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["models", "gate", MODEL_NAME])  # the gate needs NAME:VERSION
    assert exit_info.value.code == 2
    assert "is not NAME:VERSION" in capsys.readouterr().err


def test_installed_script_lists_models_as_one_json_document(registered: list[int], registry_env: dict[str, str]) -> None:
    # PYTHONPATH puts this checkout first: the editable install may point at another worktree.
    path = os.pathsep.join(str(ROOT / part) for part in ("ml", "libs/ailurus_common", "tools"))
    env = {**os.environ, **registry_env, "PYTHONPATH": path}
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "ailurus"), "models", "list", "--json"], capture_output=True,
                          text=True, env=env, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["models"][0]["aliases"] == {"champion": 1}
