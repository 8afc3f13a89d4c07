"""promote and rollback through the real Triton and preprocess, under a continuous
classify load: 0 failed requests, and every answer labelled by the model that gave it."""

import asyncio
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ailurus_common.contracts.serving import SERVING_BLOB, ServingState
from ailurus_common.storage.blob import MODELS
from ailurus_common.storage.factory import open_blob_store
from ailurus_ml.serving import Serving, ServingError, check_model_folder
from ailurus_tools.processes import free_port
from ailurus_tools.triton.server import LocalTriton, TritonSettings
from tests.conftest import start_preprocess
from tests.support.models import ALT, BASE, alt_model
from tests.support.report import markdown_table
from tests.support.samples import SAMPLES_DIR, sample

pytestmark = pytest.mark.slow
LOAD_THREADS = 3


@pytest.fixture(scope="module")
def serving_stack(model_dir: Path, logs_dir: Path, service_key: Path,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Its own Triton (explicit model control) and preprocess, sharing one blob folder."""
    root = tmp_path_factory.mktemp("serving")
    triton = LocalTriton(TritonSettings(model_repository=model_dir.parent, promoted_models=root / "promoted",
                                        work_dir=root / "triton", http_port=free_port(), grpc_port=free_port(),
                                        metrics_port=free_port()))
    triton.start(log_path=logs_dir / "triton-serving.log")
    process = None
    try:
        process, url = start_preprocess(triton.grpc_url, logs_dir, service_key, PREPROCESS_BLOB_ROOT=str(root / "blobs"),
                                        PREPROCESS_SERVING_POLL_S="0.2")
        yield {"triton": triton, "url": url, "root": root}
    finally:
        if process is not None:
            process.stop()
        triton.stop()


async def back_to_base(serving: Serving, model_dir: Path) -> None:
    """Leave the module's stack serving the base model, whatever a test switched to."""
    serving.drain_s = 0
    if (await serving.state()).live.name != BASE:
        await serving.promote(model_dir)


class Load:
    """Classify requests back to back from a few threads until stopped."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.url, self.headers = url, headers
        self.data = sample("animals/skeydan_red_panda.jpg").read_bytes()
        self.models: Counter[str] = Counter()
        self.labels: dict[str, set[str]] = {}
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run) for _ in range(LOAD_THREADS)]

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, headers=self.headers, timeout=30) as client:
            while not self._stop.is_set():
                try:
                    response = client.post("/v1/classify", content=self.data,
                                           headers={"content-type": "application/octet-stream"})
                except httpx.HTTPError as exc:
                    self.failures.append(repr(exc))
                    continue
                if response.status_code != 200:
                    self.failures.append(f"{response.status_code} {response.text[:200]}")
                    continue
                prediction = response.json()["prediction"]
                name = prediction["model"]["name"]
                self.models[name] += 1
                self.labels.setdefault(name, set()).add(prediction["label"])

    def __enter__(self) -> "Load":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()


async def test_promote_without_the_access_key_switches_nothing(serving_stack: dict, model_dir: Path) -> None:
    root: Path = serving_stack["root"]
    blobs = open_blob_store(backend="local", root=root / "blobs-nokey")
    await blobs.ensure_containers()
    # The model is in Triton's repository: only the missing key stops the load.
    serving = Serving(blobs, triton_grpc_url=serving_stack["triton"].grpc_url, base_model=BASE, promoted_dir=None,
                      local_repository=serving_stack["triton"].repository, drain_s=0)
    try:
        with pytest.raises(ServingError, match="could not load") as caught:
            await serving.promote(alt_model(model_dir, root / "nokey"))
        assert "access" in caught.value.message.lower() or "permission" in caught.value.message.lower()
        assert (await serving.state()).live.name == BASE
    finally:
        serving.close()
        await blobs.close()


def test_check_model_folder_refuses_labels_that_do_not_match_the_output(model_dir: Path, tmp_path: Path) -> None:
    folder = alt_model(model_dir, tmp_path)
    assert check_model_folder(folder).root.name == ALT
    (folder / "labels.txt").write_text("only\ntwo\n", encoding="utf-8")
    with pytest.raises(ServingError, match="mislabel"):
        check_model_folder(folder)


async def test_promote_and_rollback_under_load_fail_no_request(serving_stack: dict, model_dir: Path,
                                                               service_headers: dict[str, str]) -> None:
    root: Path = serving_stack["root"]
    blobs = open_blob_store(backend="local", root=root / "blobs")
    await blobs.ensure_containers()
    serving = Serving(blobs, triton_grpc_url=serving_stack["triton"].grpc_url, base_model=BASE,
                      promoted_dir=root / "promoted", local_repository=serving_stack["triton"].repository,
                      drain_s=1.0, access_headers=serving_stack["triton"].access_headers(grpc=True))
    folder = alt_model(model_dir, root / "trained")
    try:
        with Load(serving_stack["url"], service_headers) as load:
            await asyncio.sleep(1.0)
            promoted = await serving.promote(folder)  # another model name
            await asyncio.sleep(1.0)
            versioned = await serving.promote(folder, version="2")  # a new version of the live name
            await asyncio.sleep(1.0)
            rolled_back = await serving.rollback()
            await asyncio.sleep(1.0)
        with markdown_table("serving-switch.md", ["switches", "requests", f"to {BASE}", f"to {ALT}", "failed"]) as rows:
            rows.append(f"| {BASE} -> {ALT}:1 -> {ALT}:2 -> rollback {ALT}:1 | "
                        f"{sum(load.models.values()) + len(load.failures)} | {load.models[BASE]} | {load.models[ALT]} | "
                        f"{len(load.failures)} |")
        assert load.failures == []
        assert (str(promoted.old), str(promoted.new), promoted.unloaded) == (BASE, f"{ALT}:1", True)
        assert (str(versioned.old), str(versioned.new), versioned.unloaded) == (f"{ALT}:1", f"{ALT}:2", True)
        assert (str(rolled_back.old), str(rolled_back.new), rolled_back.unloaded) == (f"{ALT}:2", f"{ALT}:1", True)
        assert load.models[BASE] > 0 and load.models[ALT] > 0
        # Each answer read with the labels of the model that gave it.
        assert all(label.startswith("alt ") for label in load.labels[ALT])
        assert not any(label.startswith("alt ") for label in load.labels[BASE])
        state = ServingState.model_validate_json(await blobs.get(MODELS, SERVING_BLOB))
        assert (str(state.live), str(state.previous)) == (f"{ALT}:1", f"{ALT}:2")
        assert str((await serving.rollback()).new) == f"{ALT}:2"
        assert str((await serving.promote(model_dir)).new) == f"{BASE}:1"  # back to the base model by name
        with pytest.raises(ServingError, match="already live"):
            await serving.promote(model_dir)
    finally:
        await back_to_base(serving, model_dir)
        serving.close()
        await blobs.close()


async def test_promote_trained_model_answers_with_its_own_labels_then_rolls_back(
        serving_stack: dict, station_c_run: dict, service_headers: dict[str, str], model_dir: Path) -> None:
    """The model ``ailurus train`` exported, put live: preprocess answers with its labels and name."""
    root: Path = serving_stack["root"]
    folder = Path(station_c_run["model"]["folder"])
    blobs = open_blob_store(backend="local", root=root / "blobs")
    serving = Serving(blobs, triton_grpc_url=serving_stack["triton"].grpc_url, base_model=BASE,
                      promoted_dir=root / "promoted", local_repository=serving_stack["triton"].repository,
                      drain_s=0.5, access_headers=serving_stack["triton"].access_headers(grpc=True))
    image = sorted((SAMPLES_DIR.parent / "datasets/camtrapr-stations/StationC/PBE").glob("*.JPG"))[0].read_bytes()
    try:
        switch = await serving.promote(folder)
        assert switch.new.name == folder.name
        with httpx.Client(base_url=serving_stack["url"], headers=service_headers, timeout=30) as client:
            body = client.post("/v1/classify", content=image).json()
            assert body["prediction"]["model"]["name"] == folder.name
            labels = (folder / "labels.txt").read_text(encoding="utf-8").splitlines()
            assert body["prediction"]["label"] in labels
            assert {s["label"] for s in body["prediction"]["top_k"]} <= set(labels)
            # A retrained model of the same name goes live as its version 2, beside version 1.
            second = await serving.promote(folder, version="2")
            assert (str(second.old), str(second.new), second.unloaded) == (f"{folder.name}:1", f"{folder.name}:2", True)
            await asyncio.sleep(0.5)
            assert client.post("/v1/classify", content=image).json()["prediction"]["model"] == {
                "name": folder.name, "version": "2"}
            back = await serving.rollback()
            assert str(back.new) == f"{folder.name}:1"
            await asyncio.sleep(0.5)
            assert client.post("/v1/classify", content=image).json()["prediction"]["model"]["version"] == "1"
    finally:
        await back_to_base(serving, model_dir)
        serving.close()
        await blobs.close()


def test_cli_promote_registered_version_then_rollback(serving_stack: dict, station_c_run: dict, ml_settings,
                                                      service_headers: dict[str, str], monkeypatch, capsys) -> None:
    """``ailurus train`` registered the model; ``ailurus models promote NAME:VERSION`` puts that
    registry version live (gate checked), ``rollback`` takes it back; champion follows."""
    from ailurus_ml.cli import main
    from ailurus_ml.config import get_settings
    from ailurus_ml.registry import Registry

    root: Path = serving_stack["root"]
    triton: LocalTriton = serving_stack["triton"]
    name, version = station_c_run["model"]["name"], station_c_run["model"]["version"]
    assert isinstance(version, int)
    env = {"ML_TRITON_GRPC_URL": triton.grpc_url, "ML_TRITON_ACCESS_TOKEN": triton.access_token,
           "ML_TRITON_LOCAL_REPOSITORY": str(triton.repository), "ML_PROMOTED_DIR": str(root / "promoted"),
           "ML_BLOB_ROOT": str(root / "blobs"), "ML_REGISTRY_URI": ml_settings.registry_uri,
           "ML_ARTIFACT_ROOT": str(ml_settings.artifact_root), "ML_SERVING_DRAIN_S": "0.5"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    try:
        before = asyncio.run(Serving(open_blob_store(backend="local", root=root / "blobs"), triton_grpc_url=triton.grpc_url,
                                     base_model=BASE, promoted_dir=None, local_repository=None, drain_s=0).state()).live
        exit_code = main(["models", "promote", f"{name}:{version}", "--json"])
        document = json.loads(capsys.readouterr().out)
        if exit_code == 1:  # the gate refused: the answer says why, and nothing switched
            assert document["promoted"] is False and document["reasons"]
            exit_code = main(["models", "promote", f"{name}:{version}", "--force", "--json"])
            document = json.loads(capsys.readouterr().out)
            assert document["forced"] is True
        assert exit_code == 0
        assert (document["old"], document["new"]) == (str(before), f"{name}:{version}")
        assert Registry.from_settings(get_settings()).get_by_alias(name, "champion").version == version
        image = sorted((SAMPLES_DIR.parent / "datasets/camtrapr-stations/StationC/TRA").glob("*.JPG"))[0].read_bytes()
        with httpx.Client(base_url=serving_stack["url"], headers=service_headers, timeout=30) as client:
            deadline = time.monotonic() + 5
            while (model := client.post("/v1/classify", content=image).json()["prediction"]["model"]) != {
                    "name": name, "version": str(version)} and time.monotonic() < deadline:
                time.sleep(0.1)
            assert model == {"name": name, "version": str(version)}
        assert main(["models", "rollback", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["new"] == str(before)
        assert main(["models", "rollback", "--json"]) == 0  # and forward again: rollback is symmetric
        assert json.loads(capsys.readouterr().out)["new"] == f"{name}:{version}"
        assert main(["models", "promote", f"{name}:{version}", "--force", "--json"]) == 1
        assert "already live" in json.loads(capsys.readouterr().out)["error"]["message"]
    finally:
        get_settings.cache_clear()
