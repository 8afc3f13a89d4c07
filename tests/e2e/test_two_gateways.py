"""Two gateway replicas of one stack (Azurite + the Cosmos stand-in), as the chart runs them:
an upload on one replica streams its live progress to a browser whose event stream reached
the other (no affinity needed: the progress is shared through the blob store), the owner
check holds across replicas, and one replica answering never depends on the other."""

import json
import threading
import uuid
from collections.abc import Iterator

import httpx
import pytest

from ailurus_tools.processes import ManagedProcess, free_port
from ailurus_tools.stack import Stack
from tests.support.auth import auth_headers
from tests.support.samples import sample
from tests.support.stacks import running_stack, stack_config
from tests.support.uploads import jpeg_variants

pytestmark = pytest.mark.slow
TRAP = {"id": "two-replicas", "name": "Two replicas", "latitude": 27.3, "longitude": 88.3}
SHARED = {"GATEWAY_PROGRESS_SHARED": "true", "GATEWAY_PROGRESS_FLUSH_S": "0.1", "GATEWAY_PROGRESS_POLL_S": "0.2"}


@pytest.fixture(scope="module")
def replicas(triton, azurite, cosmos, tmp_path_factory) -> Iterator[tuple[Stack, str]]:
    """The stack (its gateway is replica A) and replica B's URL."""
    config = stack_config(tmp_path_factory.mktemp("two-gateways"), triton_grpc_url=triton.grpc_url,
                          extra_env={"ingest": {"INGEST_COSMOS_DATABASE": "two-gateways"}, "gateway": SHARED})
    with running_stack(config, azurite=azurite, cosmos=cosmos) as stack:
        port = free_port()
        replica: ManagedProcess = stack.gateway_replica(port)
        replica.start(timeout_s=90)
        try:
            headers = auth_headers(stack, "admin")
            assert httpx.post(f"{stack.gateway_url}/api/v1/traps", json=TRAP, headers=headers).status_code == 201
            yield stack, f"http://127.0.0.1:{port}"
        finally:
            replica.stop()


def listen(base_url: str, headers: dict, upload_id: str, events: list[dict], status: list[int]) -> None:
    with httpx.Client(base_url=base_url, timeout=60, headers=headers) as client, \
            client.stream("GET", f"/api/v1/uploads/{upload_id}/events") as stream:
        status.append(stream.status_code)
        if stream.status_code != 200:
            return
        for line in stream.iter_lines():
            if line.startswith("data: ") and line != "data: {}":
                events.append(json.loads(line[6:]))
            if line.startswith("event: done"):
                return


@pytest.mark.parametrize("listen_on", ["b", "a"], ids=["other-replica", "same-replica"])
def test_progress_reaches_the_browser_on_either_replica(replicas, listen_on):
    stack, replica_b = replicas
    headers = auth_headers(stack, "admin")
    upload_id = uuid.uuid4().hex
    events: list[dict] = []
    status: list[int] = []
    # Opened before the upload starts, on the replica that does not run it (or on the one that does).
    listener = threading.Thread(target=listen, args=(replica_b if listen_on == "b" else stack.gateway_url,
                                                     headers, upload_id, events, status))
    listener.start()
    files = [("files", (n, d, "image/jpeg")) for n, d in jpeg_variants(sample("exif/orient_Landscape_1.jpg"), 3,
                                                                      tag=f"two-{listen_on}")]
    files.append(("files", ("empty.jpg", b"", "image/jpeg")))
    response = httpx.post(f"{stack.gateway_url}/api/v1/traps/{TRAP['id']}/images", params={"upload_id": upload_id},
                          files=files, headers=headers, timeout=120)
    listener.join(timeout=60)
    assert response.status_code == 200 and not listener.is_alive() and status == [200]
    final = {e["index"]: e["status"] for e in events if e["status"] not in ("received", "stored")}
    assert final == {0: "classified", 1: "classified", 2: "classified", 3: "rejected"}
    assert [r["status"] for r in response.json()["results"]] == [final[i] for i in range(4)]


def test_progress_of_another_user_is_never_read_on_another_replica(replicas):
    stack, replica_b = replicas
    upload_id = uuid.uuid4().hex
    owner = auth_headers(stack, "admin")
    files = [("files", ("empty.jpg", b"", "image/jpeg"))]
    assert httpx.post(f"{stack.gateway_url}/api/v1/traps/{TRAP['id']}/images", params={"upload_id": upload_id},
                      files=files, headers=owner, timeout=60).status_code == 200
    # Another user asking replica B for that id waits on a stream of their own: nothing of the owner's.
    other = auth_headers(stack, "uploader")
    seen: list[str] = []
    with httpx.Client(base_url=replica_b, timeout=httpx.Timeout(10, read=2), headers=other) as client, \
            client.stream("GET", f"/api/v1/uploads/{upload_id}/events") as stream:
        assert stream.status_code == 200
        with pytest.raises(httpx.ReadTimeout):
            for line in stream.iter_lines():
                seen.append(line)
    assert not [line for line in seen if line.startswith("data:")]
    # The owner gets it from replica B.
    events: list[dict] = []
    listen(replica_b, owner, upload_id, events, [])
    assert [e["status"] for e in events if e["index"] == 0][-1] == "rejected"
