"""Notifications end to end on real processes: ingest (the outbox), the notifier and a
webhook receiver (tests/support/webhook_receiver.py). The receiver is stopped mid-stream
and started again, the notifier and ingest are killed (ingest right after recording), both
restarted, and every event recorded reaches the receiver once it is back: none lost,
duplicates only with the same id. The figures go to test-artifacts/notifications.md."""

import json
import os
import signal
import sys
import time
from pathlib import Path

import httpx
import pytest

from ailurus_common.storage.blob import original_blob_name
from ailurus_tools.processes import ManagedProcess, free_port
from tests.conftest import ROOT
from tests.support.report import ARTIFACTS

SECRET = "s3cret-for-the-receiver-only"
RECEIVER = ROOT / "tests" / "support" / "webhook_receiver.py"


def _receiver(port: int, out: Path, logs: Path, **extra: str) -> ManagedProcess:
    cmd = [sys.executable, str(RECEIVER), "--port", str(port), "--secret", SECRET, "--out", str(out)]
    for name, value in extra.items():
        cmd += [f"--{name.replace('_', '-')}", value]
    return ManagedProcess("receiver", cmd, ready_url=f"http://127.0.0.1:{port}/", log_path=logs / "receiver.log")


@pytest.fixture
def services(tmp_path: Path, logs_dir: Path, service_key: Path):
    ingest_port, notifier_port = free_port(), free_port()
    ingest = ManagedProcess("ingest", [sys.executable, "-m", "ingest"], env={
        "INGEST_PORT": str(ingest_port), "INGEST_SQLITE_PATH": str(tmp_path / "metadata.sqlite3"),
        "INGEST_AUTH_KEY_PATH": str(service_key)},
        ready_url=f"http://127.0.0.1:{ingest_port}/readyz", log_path=logs_dir / "notify-ingest.log", cwd=ROOT)
    env = {"NOTIFIER_PORT": str(notifier_port), "NOTIFIER_SQLITE_PATH": str(tmp_path / "notifier.sqlite3"),
           "NOTIFIER_INGEST_URL": f"http://127.0.0.1:{ingest_port}", "NOTIFIER_AUTH_KEY_PATH": str(service_key),
           "NOTIFIER_WEBHOOK_ALLOWED_HOSTS": '["127.0.0.1"]', "NOTIFIER_POLL_INTERVAL_S": "0.1",
           "NOTIFIER_RETRY_BASE_S": "0.2", "NOTIFIER_RETRY_MAX_S": "1.0", "NOTIFIER_MAX_ATTEMPTS": "1000"}

    def notifier() -> ManagedProcess:
        return ManagedProcess("notifier", [sys.executable, "-m", "notifier"], env=env,
                              ready_url=f"http://127.0.0.1:{notifier_port}/readyz",
                              log_path=logs_dir / "notifier.log", cwd=ROOT)

    started = [ingest.start(), notifier().start()]
    try:
        yield f"http://127.0.0.1:{ingest_port}", f"http://127.0.0.1:{notifier_port}", notifier, started
    finally:
        for process in reversed(started):
            process.stop()


def _upload(client: httpx.Client, ingest: str, n: int) -> None:
    media_id = f"{n:064x}"
    response = client.post(f"{ingest}/v1/traps/t1/media", json={"items": [{
        "id": media_id, "file_name": f"{n}.jpg", "media_type": "image/jpeg", "size_bytes": 1,
        "blob_original": f"uploads/{original_blob_name(media_id)}", "uploaded_by": "Asha Rai",
        "classification": {"exif": {"format": "JPEG"}, "prediction": {
            "group": "red_panda" if n % 5 == 0 else "bird", "label": "red panda" if n % 5 == 0 else "pheasant",
            "confidence": 0.9, "blank": False, "top_k": [{"label": "x", "score": 0.9}],
            "model": {"name": "m", "version": "1"}}}}]})
    assert response.status_code == 200, response.text


def _lines(out: Path) -> list[dict]:
    return [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []


def test_every_event_arrives_after_the_receiver_and_the_notifier_come_back(services, tmp_path, logs_dir,
                                                                            service_headers):
    ingest, notifier_url, notifier, started = services
    out, port = tmp_path / "received.jsonl", free_port()
    receiver = _receiver(port, out, logs_dir).start()
    started.append(receiver)
    with httpx.Client(headers=service_headers, timeout=10) as client:
        assert client.post(f"{ingest}/v1/traps", json={"id": "t1", "name": "t1", "latitude": 27.12,
                                                        "longitude": 88.65}).status_code == 201
        # SSRF: a loopback webhook is refused unless its address is allowed (127.0.0.1 is, 127.0.0.2 is not)
        refused = client.post(f"{notifier_url}/v1/subscriptions", json={
            "url": f"http://127.0.0.2:{port}/hook", "secret": SECRET, "created_by": "admin"})
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "webhook_refused"
        created = client.post(f"{notifier_url}/v1/subscriptions", json={
            "url": f"http://127.0.0.1:{port}/hook", "secret": SECRET, "created_by": "admin"})
        assert created.status_code == 201, created.text
        subscription = created.json()
        assert "secret" not in subscription and subscription["precision"] == "coarse"

        for n in range(1, 21):
            _upload(client, ingest, n)
        receiver.stop()  # mid-stream: deliveries now fail and are retried
        for n in range(21, 41):
            _upload(client, ingest, n)
        time.sleep(1.0)
        os.killpg(started[1].process.pid, signal.SIGKILL)  # the notifier dies with deliveries pending
        started[1].process.wait()
        for n in range(41, 61):
            _upload(client, ingest, n)
        # ingest dies right after recording (SIGKILL: no shutdown at all) and comes back: the
        # events of uploads 41-60 exist only in its outbox, committed with the media
        os.killpg(started[0].process.pid, signal.SIGKILL)
        started[0].process.wait()
        started[0].start()
        started[1] = notifier().start()
        receiver = _receiver(port, out, logs_dir).start()
        started[2] = receiver

        # 60 uploads of one media each: the 48 birds' upload.completed and media.classified reach
        # a coarse subscriber; the 12 red pandas' own events are withheld (an upload of nothing
        # else but one is withheld whole) and reach it only as 12 bare sighting.sensitive.
        expected = 48 + 48 + 12
        deadline = time.monotonic() + 60
        while len({e["id"] for e in _lines(out)}) < expected and time.monotonic() < deadline:
            time.sleep(0.2)
        received = _lines(out)
        # the receiver writes before it answers: the log may take a moment to say delivered
        while time.monotonic() < deadline:
            log = client.get(f"{notifier_url}/v1/subscriptions/{subscription['id']}/deliveries",
                             params={"limit": 500}).json()["items"]
            if all(d["status"] == "delivered" for d in log):
                break
            time.sleep(0.2)
        dead = client.get(f"{notifier_url}/v1/subscriptions/{subscription['id']}/deliveries",
                          params={"status": "dead_lettered"}).json()["items"]
        assert client.get(f"{ingest}/v1/events").json()["items"] == []  # every event taken over

    ids = [e["id"] for e in received]
    by_id = {}
    for event in received:
        assert by_id.setdefault(event["id"], event) == event  # a duplicate is the same event
    types = [e["type"] for e in by_id.values()]
    assert len(by_id) == expected
    assert types.count("upload.completed") == 48 and types.count("media.classified") == 48
    assert types.count("sighting.sensitive") == 12
    assert all(e["specversion"] == "1.0" and e["source"] == "/ailurus" for e in received)
    assert all(e["content_type"].startswith("application/cloudevents+json") for e in received)
    sightings = [e["data"] for e in by_id.values() if e["type"] == "sighting.sensitive"]
    assert all(s == {"precision": "coarse", "group": "red_panda"} for s in sightings)  # nothing to locate it by
    assert all(e["data"].get("label") != "red panda" for e in by_id.values() if e["type"] == "media.classified")
    assert len(log) == expected and all(d["status"] == "delivered" for d in log)
    retried = sum(d["attempts"] - 1 for d in log)
    assert retried > 0  # the receiver was down: some deliveries needed more than one attempt
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "notifications.md").write_text(
        "# Notification delivery (tests/integration/notifier/test_delivery.py)\n\n"
        "Real ingest, notifier and webhook receiver processes; 60 uploads (12 red pandas) to a coarse\n"
        "subscription; the receiver stopped after upload 20 and started again after upload 60; the\n"
        "notifier killed (SIGKILL) after upload 40, ingest after upload 60; both restarted.\n\n"
        "| events sent | deliveries retried (attempts beyond the first) | dead-lettered | received (distinct ids) "
        "| duplicates (same id) | lost |\n|---|---|---|---|---|---|\n"
        f"| {expected} | {retried} | {len(dead)} | {len(by_id)} | {len(ids) - len(by_id)} "
        f"| {expected - len(by_id)} |\n")


async def test_the_gateway_admin_api_routes_to_the_notifier_and_never_returns_secrets(services, tmp_path, logs_dir,
                                                                                    service_key):
    from ailurus_common.auth import Role
    from gateway.auth import local_issuer
    from gateway.main import create_app
    from tests.integration.gateway.test_auth_routes import make_settings

    ingest, notifier_url, _, started = services
    port = free_port()
    started.append(_receiver(port, tmp_path / "received.jsonl", logs_dir).start())
    settings = make_settings(tmp_path, auth_key_path=service_key, ingest_url=ingest, notifier_url=notifier_url)
    issuer = local_issuer(settings)
    admin = {"Authorization": f"Bearer {issuer.issue('admin-1', [Role.ADMIN])}"}
    partner_admin = {"Authorization": f"Bearer {issuer.issue('partner-app', [Role.ADMIN], app_only=True)}"}
    viewer = {"Authorization": f"Bearer {issuer.issue('viewer-1', [Role.VIEWER])}"}
    partner = {"Authorization": f"Bearer {issuer.issue('partner-read', [Role.VIEWER], app_only=True)}"}
    app = create_app(settings)
    body = {"url": f"http://127.0.0.1:{port}/hook", "secret": SECRET, "types": ["sighting.sensitive"],
            "precision": "exact"}
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        for headers in (viewer, partner):  # neither sees nor makes subscriptions
            assert (await client.get("/api/v1/subscriptions", headers=headers)).status_code == 403
            assert (await client.post("/api/v1/subscriptions", json=body, headers=headers)).status_code == 403
        refused = await client.post("/api/v1/subscriptions", json=body, headers=partner_admin)
        assert refused.status_code == 403  # app-only tokens never subscribe to exact positions
        bad = await client.post("/api/v1/subscriptions", json={**body, "secret": "short"}, headers=admin)
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"
        inward = await client.post("/api/v1/subscriptions", json={**body, "url": "http://10.0.0.1/hook"},
                                   headers=admin)
        assert inward.status_code == 400 and inward.json()["error"]["code"] == "webhook_refused"
        created = await client.post("/api/v1/subscriptions", json=body, headers=admin)
        assert created.status_code == 201, created.text
        subscription = created.json()
        assert subscription["created_by"] == "admin-1" and subscription["precision"] == "exact"
        listed = await client.get("/api/v1/subscriptions", headers=admin)
        one = await client.get(f"/api/v1/subscriptions/{subscription['id']}", headers=admin)
        log = await client.get(f"/api/v1/subscriptions/{subscription['id']}/deliveries", headers=admin)
        for response in (created, listed, one, log):
            assert SECRET not in response.text and "secret" not in response.text
        assert [s["id"] for s in listed.json()["items"]] == [subscription["id"]]
        assert log.json() == {"items": []}
        assert (await client.delete(f"/api/v1/subscriptions/{subscription['id']}", headers=admin)).status_code == 204
        gone = await client.get(f"/api/v1/subscriptions/{subscription['id']}", headers=admin)
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "subscription_not_found"
