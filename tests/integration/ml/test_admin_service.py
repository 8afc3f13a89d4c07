"""The ML admin service in process: a real MLflow registry (sqlite), a real local blob store,
the gateway's service token. Triton is not running: what is tested is everything a switch
decides before it would load (the gate, the pointer) and every read."""

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from ailurus_common.auth import LocalIssuer, Role
from ailurus_common.auth.local import DEFAULT_AUDIENCE, SERVICE_AUDIENCE
from ailurus_ml.datasets.store import SnapshotStore, snapshot_id
from ailurus_ml.manifest import DatasetItem, DatasetManifest, SourceFormat
from ailurus_ml.service.config import MlServiceSettings
from ailurus_ml.service.main import create_app
from ailurus_ml.service.metrics import SWITCHES
from ailurus_tools.processes import free_port
from tests.unit.ml.registry_factories import evaluation, held_out_report, make_registry, write_model_folder

REPORT = held_out_report()


@pytest.fixture
async def service(tmp_path: Path):
    registry = make_registry(tmp_path / "ml")
    passing = write_model_folder(tmp_path / "a", name="ailurus_stations", labels=["pbe", "unknown"])
    registry.register(passing, name="ailurus_stations", dataset_id="stations-0123456789ab", params={"seed": 0},
                      metrics={**evaluation(macro_recall=0.9, red_panda_recall=None, live_macro_recall=0.5),
                               "evaluation": REPORT})
    failing = write_model_folder(tmp_path / "b", name="ailurus_worse", labels=["x"])
    registry.register(failing, name="ailurus_worse", dataset_id="d", params={},
                      metrics=evaluation(macro_recall=0.2, red_panda_recall=None, live_macro_recall=0.5))
    settings = MlServiceSettings(
        registry_uri=registry.registry_uri, artifact_root=tmp_path / "ml" / "artifacts", blob_root=tmp_path / "blobs",
        auth_key_path=tmp_path / "auth" / "key.pem", triton_grpc_url=f"127.0.0.1:{free_port()}",
        triton_local_repository=None, promoted_dir=None, triton_access_token_path=tmp_path / "none",
        log_json=False, log_level="WARNING")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        items = [DatasetItem(sha256=f"{n:064x}", label=label, source_label=label, site=site, source=f"{n}.jpg",
                             captured_at=datetime(2024, 1, 1, tzinfo=UTC))
                 for n, (label, site) in enumerate([("pbe", "StationA"), ("pbe", "StationB"), ("vva", "StationB")])]
        manifest = DatasetManifest(id=snapshot_id("stations", items), name="stations", created_at=datetime.now(UTC),
                                   source_format=SourceFormat.FOLDER, classes=["pbe", "vva"], items=items)
        await SnapshotStore(app.state.lifecycle.blobs).save(manifest)
        token = LocalIssuer.from_key_file(settings.auth_key_path, audience=SERVICE_AUDIENCE).issue_service("gateway")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ml",
                                     headers={"Authorization": f"Bearer {token}"}) as http:
            yield http, manifest, settings, app


async def test_list_and_show_datasets_counts_per_site_and_label(service):
    http, manifest, _, _ = service
    listed = (await http.get("/v1/datasets")).json()["items"]
    assert [(d["id"], d["images"], d["classes"]) for d in listed] == [(manifest.id, 3, ["pbe", "vva"])]
    shown = (await http.get(f"/v1/datasets/{manifest.id}")).json()
    assert shown["per_site_class"] == {"StationA": {"pbe": 1}, "StationB": {"pbe": 1, "vva": 1}}
    missing = await http.get("/v1/datasets/nothing-0123456789ab")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "dataset_not_found")


async def test_list_models_shows_gate_and_live_base_model(service):
    http, _, _, _ = service
    document = (await http.get("/v1/models")).json()
    gates = {m["name"]: m["versions"][0]["gate"]["passed"] for m in document["items"]}
    assert gates == {"ailurus_stations": True, "ailurus_worse": False}
    assert document["serving"]["live"] == {"name": "ailurus_classifier", "version": None}
    assert not any(v["live"] for m in document["items"] for v in m["versions"])


async def test_show_version_has_per_site_evaluation_confusion_and_curve(service):
    http, _, _, _ = service
    shown = (await http.get("/v1/models/ailurus_stations/versions/1")).json()
    assert shown["params"] == {"seed": "0"}
    evaluation_ = shown["evaluation"]
    assert evaluation_["per_site"]["StationB"]["live_group_top1"] == 0.5
    assert evaluation_["confusion"]["matrix"] == [[3, 1]]
    assert [p["loss"] for p in evaluation_["training_curve"]] == [1.2, 0.7]
    plain = (await http.get("/v1/models/ailurus_worse/versions/1")).json()
    assert plain["evaluation"] is None  # registered without a held-out evaluation
    missing = await http.get("/v1/models/ailurus_stations/versions/9")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "model_not_found")


async def test_promote_failing_gate_is_409_and_nothing_switches(service):
    http, _, _, _ = service
    refused = await http.post("/v1/models/ailurus_worse/versions/1/promote", json={})
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "gate_failed")
    assert "macro_recall" in refused.json()["error"]["message"]
    assert (await http.get("/v1/serving")).json()["live"]["name"] == "ailurus_classifier"


async def test_rollback_with_nothing_replaced_is_409_serving_conflict(service):
    http, _, _, _ = service
    refused = await http.post("/v1/serving/rollback")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "serving_conflict")


async def test_user_token_even_admin_is_refused(service):
    http, _, settings, _ = service
    user = LocalIssuer.from_key_file(settings.auth_key_path, audience=DEFAULT_AUDIENCE).issue("ada", [Role.ADMIN])
    response = await http.get("/v1/models", headers={"Authorization": f"Bearer {user}"})
    assert response.status_code == 401  # another audience: never reaches the registry
    service_audience_user = LocalIssuer.from_key_file(settings.auth_key_path, audience=SERVICE_AUDIENCE).issue(
        "ada", [Role.ADMIN])
    assert (await http.get("/v1/models", headers={"Authorization": f"Bearer {service_audience_user}"})).status_code == 403


async def test_follow_champion_promotes_nothing_that_fails_the_gate(service):
    http, _, _, app = service
    lifecycle = app.state.lifecycle
    assert await lifecycle.follow_champion_once("ailurus_worse") is None  # no alias yet: nothing to follow
    await lifecycle.in_registry(lifecycle.registry.set_alias, "ailurus_worse", "champion", 1)
    before = SWITCHES.labels("promote", "gate_failed")._value.get()
    assert await lifecycle.follow_champion_once("ailurus_worse") is None
    assert SWITCHES.labels("promote", "gate_failed")._value.get() == before + 1
    assert (await http.get("/v1/serving")).json()["live"]["name"] == "ailurus_classifier"
