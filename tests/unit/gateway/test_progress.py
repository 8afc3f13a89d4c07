import asyncio
import json

import pytest

from gateway.progress import ProgressHub, UploadNotYours

UPLOAD = "0" * 32


async def collect(hub: ProgressHub, owner: str) -> list[str]:
    return [line async for line in hub.events(UPLOAD, owner)]


async def test_events_replay_then_live_then_done():
    hub = ProgressHub(heartbeat_s=5)
    hub.publish(UPLOAD, "alice", {"index": 0, "status": "received"})
    reader = asyncio.create_task(collect(hub, "alice"))
    await asyncio.sleep(0)
    hub.publish(UPLOAD, "alice", {"index": 0, "status": "classified"})
    hub.finish(UPLOAD, "alice")
    lines = await asyncio.wait_for(reader, timeout=2)
    assert [json.loads(line[6:]) for line in lines[:-1]] == [{"index": 0, "status": "received"},
                                                              {"index": 0, "status": "classified"}]
    assert lines[-1].startswith("event: done")


async def test_events_subscribed_before_upload_starts():
    hub = ProgressHub(heartbeat_s=5)
    reader = asyncio.create_task(collect(hub, "alice"))
    await asyncio.sleep(0)
    hub.publish(UPLOAD, "alice", {"index": 0, "status": "stored"})
    hub.finish(UPLOAD, "alice")
    assert len(await asyncio.wait_for(reader, timeout=2)) == 2


async def test_events_of_another_user_are_not_found():
    hub = ProgressHub()
    hub.publish(UPLOAD, "alice", {"index": 0})
    with pytest.raises(UploadNotYours):
        hub.events(UPLOAD, "mallory")


async def test_events_idle_stream_sends_keep_alive():
    hub = ProgressHub(heartbeat_s=0.01)
    stream = hub.events(UPLOAD, "alice")
    assert (await asyncio.wait_for(anext(stream), timeout=2)).startswith(": keep-alive")
    await stream.aclose()


def test_hub_forgets_oldest_uploads_beyond_capacity():
    hub = ProgressHub(max_uploads=2)
    for n in range(3):
        hub.publish(f"{n:032x}", "alice", {"n": n})
    hub.publish(f"{0:032x}", "bob", {"n": 0})  # the oldest was forgotten: bob may take the id
    hub.events(f"{0:032x}", "bob")
    with pytest.raises(UploadNotYours):
        hub.events(f"{2:032x}", "bob")  # a recent one is still alice's


async def test_events_opened_first_by_another_user_do_not_break_or_see_the_owners_upload():
    hub = ProgressHub(heartbeat_s=0.05)
    squatter = hub.events(UPLOAD, "mallory")  # opened before alice starts her upload
    owner = asyncio.create_task(collect(hub, "alice"))
    await asyncio.sleep(0)
    hub.publish(UPLOAD, "alice", {"index": 0, "status": "classified"})  # never raises
    hub.finish(UPLOAD, "alice")
    assert json.loads((await asyncio.wait_for(owner, timeout=2))[0][6:]) == {"index": 0, "status": "classified"}
    assert (await asyncio.wait_for(anext(squatter), timeout=2)).startswith(": keep-alive")  # mallory sees nothing
    await squatter.aclose()
