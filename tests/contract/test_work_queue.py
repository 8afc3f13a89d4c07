"""The ``WorkQueue`` contract (``ailurus_common.queue.base``): every test runs on the
SQLite queue and on Azurite's queue service. Visibility timeouts are whole seconds on
both, so a few tests wait one or two seconds for a message to come back."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ailurus_common.queue.base import DEAD_LETTER_SUFFIX, MAX_MESSAGE_BYTES, WorkQueue
from ailurus_common.queue.factory import open_work_queue

pytestmark = pytest.mark.slow
MAX_ATTEMPTS = 2


@pytest.fixture(params=["sqlite", "azure"])
async def queue(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[WorkQueue]:
    """A new, empty queue (Azure ones: a fresh name on the session's Azurite)."""
    name = f"contract-{uuid.uuid4().hex[:12]}"
    if request.param == "sqlite":
        work = open_work_queue(name, backend="sqlite", max_attempts=MAX_ATTEMPTS, sqlite_path=tmp_path / "q.sqlite3")
    else:
        work = open_work_queue(name, backend="azure", max_attempts=MAX_ATTEMPTS,
                               connection_string=request.getfixturevalue("azurite").connection_string)
    try:
        await work.ensure()
        yield work
    finally:
        await work.close()


async def wait_for(queue: WorkQueue, *, visibility_timeout_s: int = 30, within_s: float = 5.0):
    """Receive until one message comes (it may still be invisible for a moment)."""
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        got = await queue.receive(1, visibility_timeout_s=visibility_timeout_s)
        if got or asyncio.get_running_loop().time() > deadline:
            return got
        await asyncio.sleep(0.2)


async def test_ensure_twice_keeps_queue_usable(queue: WorkQueue) -> None:
    await queue.ensure()
    await queue.send("x")
    assert [m.body for m in await queue.receive(1, visibility_timeout_s=30)] == ["x"]
    assert await queue.is_ready() is True


async def test_send_receive_delete_removes_message(queue: WorkQueue) -> None:
    sent_id = await queue.send('{"media_id": "abc"}')
    [message] = await queue.receive(5, visibility_timeout_s=30)
    assert (message.id, message.body, message.dequeue_count) == (sent_id, '{"media_id": "abc"}', 1)
    assert await queue.delete(message) is True
    assert await queue.approximate_length() == 0
    assert await queue.receive(5, visibility_timeout_s=30) == []


async def test_received_message_invisible_to_other_receivers(queue: WorkQueue) -> None:
    for i in range(10):
        await queue.send(f"m{i}")
    batches = await asyncio.gather(*(queue.receive(4, visibility_timeout_s=30) for _ in range(5)))
    bodies = [m.body for batch in batches for m in batch]
    assert sorted(bodies) == sorted(f"m{i}" for i in range(10))  # each delivered once
    assert await queue.approximate_length() == 10  # still in the queue until deleted


async def test_undeleted_message_redelivered_after_visibility_timeout(queue: WorkQueue) -> None:
    await queue.send("again")
    [first] = await queue.receive(1, visibility_timeout_s=1)
    assert await queue.receive(1, visibility_timeout_s=1) == []
    [second] = await wait_for(queue)
    assert (second.id, second.body, second.dequeue_count) == (first.id, "again", 2)
    assert second.receipt != first.receipt


async def test_delete_with_stale_receipt_refused_and_message_kept(queue: WorkQueue) -> None:
    await queue.send("contested")
    [first] = await queue.receive(1, visibility_timeout_s=1)
    [second] = await wait_for(queue)
    assert await queue.delete(first) is False
    assert await queue.extend(first, visibility_timeout_s=30) is None
    assert await queue.approximate_length() == 1
    assert await queue.delete(second) is True


async def test_extend_keeps_message_hidden_with_new_receipt(queue: WorkQueue) -> None:
    await queue.send("long job")
    [message] = await queue.receive(1, visibility_timeout_s=1)
    extended = await queue.extend(message, visibility_timeout_s=30)
    assert extended is not None and extended.id == message.id
    await asyncio.sleep(1.5)
    assert await queue.receive(1, visibility_timeout_s=30) == []
    assert await queue.delete(extended) is True
    assert await queue.approximate_length() == 0


async def test_send_with_delay_hidden_until_due(queue: WorkQueue) -> None:
    await queue.send("later", delay_s=1)
    assert await queue.receive(1, visibility_timeout_s=30) == []
    assert await queue.approximate_length() == 1
    [message] = await wait_for(queue)
    assert (message.body, message.dequeue_count) == ("later", 1)


async def test_message_delivered_max_attempts_times_moves_to_dead_letter(queue: WorkQueue) -> None:
    await queue.send("poison")
    counts = []
    for _ in range(MAX_ATTEMPTS):
        [message] = await wait_for(queue, visibility_timeout_s=1)
        counts.append(message.dequeue_count)
    assert counts == list(range(1, MAX_ATTEMPTS + 1))
    await asyncio.sleep(1.2)
    assert await queue.receive(1, visibility_timeout_s=30) == []  # not handed out again
    assert await queue.approximate_length() == 0
    dead = queue.dead_letter
    assert dead.name == queue.name + DEAD_LETTER_SUFFIX
    [letter] = await wait_for(dead)
    assert (letter.body, letter.dequeue_count) == ("poison", 1)
    assert await dead.delete(letter) is True


async def test_receive_more_than_limit_refused(queue: WorkQueue) -> None:
    with pytest.raises(ValueError, match="max_messages"):
        await queue.receive(33, visibility_timeout_s=30)
    with pytest.raises(ValueError, match="bytes"):
        await queue.send("x" * (MAX_MESSAGE_BYTES + 1))


async def test_concurrent_consumers_process_each_message_once(queue: WorkQueue) -> None:
    """Four consumers drain 60 messages: every body is deleted by exactly one of them."""
    bodies = [f"item-{i}" for i in range(60)]
    await asyncio.gather(*(queue.send(b) for b in bodies))
    done: list[str] = []

    async def consume() -> None:
        idle = 0
        while idle < 3:
            batch = await queue.receive(8, visibility_timeout_s=30)
            if not batch:
                idle += 1
                await asyncio.sleep(0.1)
                continue
            for message in batch:
                if await queue.delete(message):
                    done.append(message.body)

    await asyncio.gather(*(consume() for _ in range(4)))
    assert sorted(done) == sorted(bodies)
    assert await queue.approximate_length() == 0
