"""The worker's consumer on a real SQLite work queue, with in-memory stand-ins of ingest
(its lease and record rules), preprocess and the blob store: a file that crashes
preprocess is retried alone, and failed for good when it crashes it again; files that only
shared its bad luck are classified; an outage (503, service down) never fails anybody's
file nor dead-letters its message; two workers never classify one file twice; a message
whose worker died on it every time ends its media ``failed``."""

import asyncio
from pathlib import Path
from types import SimpleNamespace

import pytest

from ailurus_common.clients.preprocess import Unavailable
from ailurus_common.contracts.work import PendingMedia
from ailurus_common.domain import Group, MediaStatus
from ailurus_common.errors import ErrorCode
from ailurus_common.records import ErrorInfo, ExifInfo, LabelScore, MachinePrediction, ModelRef
from tests.contract.factories import make_media
from worker.config import WorkerSettings
from worker.consumer import Consumer, retry_delay_s
from worker.media import MediaWork

PREDICTION = MachinePrediction(group=Group.RED_PANDA, label="lesser panda", confidence=0.9, blank=False,
                               top_k=[LabelScore(label="lesser panda", score=0.9)], model=ModelRef(name="m", version="1"))


class FakeIngest:
    """ingest's rules for leases and records, in memory (tests/integration covers the real one)."""

    def __init__(self, media):
        self.media = {m.id: m for m in media}

    async def find_media(self, media_id):
        return self.media.get(media_id)

    async def lease(self, media_id, body):
        m = self.media.get(media_id)
        if m is None or m.status is not MediaStatus.PENDING or (m.lease_holder not in (None, body.holder)):
            return None
        self.media[media_id] = m.model_copy(update={"lease_holder": body.holder})
        return self.media[media_id]

    async def record_failure(self, media_id, body):
        m = self.media[media_id]
        self.media[media_id] = m.model_copy(update={
            "status": MediaStatus.FAILED if body.final else MediaStatus.PENDING, "error": body.error,
            "attempts": m.attempts + 1, "lease_holder": None})

    async def record_classification(self, media_id, body):
        self.classified = getattr(self, "classified", []) + [media_id]
        self.media[media_id] = self.media[media_id].model_copy(update={"status": MediaStatus.CLASSIFIED, "error": None,
                                                                       "lease_holder": None})

    async def pending(self, *, older_than_s, limit):
        return SimpleNamespace(items=[m for m in self.media.values() if m.status is MediaStatus.PENDING][:limit])


class CrashingPreprocess:
    """Dies on the poison file, taking every call then in flight with it; ``down``: a 503."""

    def __init__(self, poison: set[str], *, down: bool = False):
        self.poison, self.down = poison, down
        self.in_flight: set[str] = set()
        self.company_of_poison: list[set[str]] = []
        self.calls: list[str] = []

    async def classify(self, data, *, media_id=None):
        self.calls.append(media_id)
        if self.down:
            return Unavailable("503 classifier_unavailable: Triton is down")
        self.in_flight.add(media_id)
        try:
            await asyncio.sleep(0.01)
            if self.poison & self.in_flight:
                if media_id in self.poison:
                    self.company_of_poison.append(set(self.in_flight) - {media_id})
                return Unavailable("preprocess call interrupted: ServerDisconnectedError", interrupted=True)
            return SimpleNamespace(exif=ExifInfo(), prediction=PREDICTION, blob_thumbnail=None)
        finally:
            await asyncio.sleep(0)
            self.in_flight.discard(media_id)


class Blobs:
    async def get(self, container, name):
        return b"\xff\xd8\xff bytes"


def originals(count):
    media = [make_media("trap-1") for _ in range(count)]
    return [m.model_copy(update={"blob_original": f"uploads/{m.id[:2]}/{m.id}"}) for m in media]


@pytest.fixture
def queue_path(tmp_path: Path) -> Path:
    return tmp_path / "queue.sqlite3"


def make_consumer(queue_path, ingest, preprocess, *, holder="w1", max_attempts=5, lease_s=30):
    settings = WorkerSettings(queue_sqlite_path=queue_path, concurrency=4, retry_base_delay_s=0, log_json=False,
                              queue_max_attempts=max_attempts)
    queue = settings.open_work_queue("pending")
    work = MediaWork(blobs=Blobs(), ingest=ingest, preprocess=preprocess, holder=holder, lease_s=lease_s)
    return Consumer(queue, work, Blobs(), settings)


async def enqueue(consumer, media):
    await consumer.queue.ensure()
    for m in media:
        await consumer.queue.send(PendingMedia(media_id=m.id).model_dump_json())


async def one_round(consumer):
    """Take what the queue holds (up to the concurrency) and wait until it is worked."""
    taken = await consumer.run_once()
    await consumer.drain()
    return taken


async def test_consumer_fails_poison_file_for_good_after_a_second_interruption_alone(queue_path):
    media = originals(4)
    poison = media[0].id
    ingest, preprocess = FakeIngest(media), CrashingPreprocess({poison})
    consumer = make_consumer(queue_path, ingest, preprocess)
    await enqueue(consumer, media)

    assert await one_round(consumer) == 4  # all four together: the crash takes everyone in flight
    assert {m.error.code for m in ingest.media.values()} == {ErrorCode.CLASSIFY_INTERRUPTED}
    assert all(m.status is MediaStatus.PENDING for m in ingest.media.values())
    assert await consumer.queue.approximate_length() == 4  # each sent again

    assert await one_round(consumer) == 4  # each suspect alone now
    assert all(company == set() for company in preprocess.company_of_poison[1:])
    assert ingest.media[poison].status is MediaStatus.FAILED
    assert ingest.media[poison].error.code is ErrorCode.POISON_FILE
    assert {ingest.media[m.id].status for m in media[1:]} == {MediaStatus.CLASSIFIED}
    assert await consumer.queue.approximate_length() == 0
    assert await one_round(consumer) == 0  # never retried again
    assert len(preprocess.company_of_poison) == 2
    await consumer.queue.close()


async def test_consumer_keeps_files_pending_through_an_outage_however_often(queue_path):
    media = originals(3)
    ingest = FakeIngest(media)
    consumer = make_consumer(queue_path, ingest, CrashingPreprocess(set(), down=True), max_attempts=2)
    await enqueue(consumer, media)
    for _ in range(5):
        assert await one_round(consumer) == 3
    assert {m.status for m in ingest.media.values()} == {MediaStatus.PENDING}
    assert {m.error.code for m in ingest.media.values()} == {ErrorCode.CLASSIFIER_UNAVAILABLE}
    assert await consumer.queue.approximate_length() == 3  # a fresh message each time: never dead-lettered
    assert await consumer.queue.dead_letter.approximate_length() == 0
    await consumer.queue.close()


async def test_consumer_suspect_that_then_meets_an_outage_is_not_failed(queue_path):
    media = originals(1)
    ingest, preprocess = FakeIngest(media), CrashingPreprocess({media[0].id}, down=True)
    ingest.media[media[0].id] = ingest.media[media[0].id].model_copy(
        update={"error": ErrorInfo(code=ErrorCode.CLASSIFY_INTERRUPTED, message="x")})
    consumer = make_consumer(queue_path, ingest, preprocess)
    await enqueue(consumer, media)
    await one_round(consumer)
    assert ingest.media[media[0].id].status is MediaStatus.PENDING


async def test_two_workers_never_classify_the_same_file_twice(queue_path):
    """Two worker replicas on one queue, every media queued twice (the upload and a sweep).
    A copy met while the other holds the lease stays queued (in case that worker dies) and
    is dropped when it comes back after the lease (1 s here) and finds the media settled."""
    media = originals(6)
    ingest, preprocess = FakeIngest(media), CrashingPreprocess(set())
    first = make_consumer(queue_path, ingest, preprocess, holder="w1", lease_s=1)
    second = make_consumer(queue_path, ingest, preprocess, holder="w2", lease_s=1)
    await enqueue(first, media + media)
    while await first.queue.approximate_length():
        await asyncio.gather(one_round(first), one_round(second))
        await asyncio.sleep(0.2)
    assert sorted(ingest.classified) == sorted(m.id for m in media)  # each once
    assert {m.status for m in ingest.media.values()} == {MediaStatus.CLASSIFIED}


async def test_message_whose_worker_always_died_ends_media_failed(queue_path):
    media = originals(1)
    ingest = FakeIngest(media)
    consumer = make_consumer(queue_path, ingest, CrashingPreprocess(set()), max_attempts=1)
    await enqueue(consumer, media)
    assert len(await consumer.queue.receive(1, visibility_timeout_s=1)) == 1  # a worker that then died
    await asyncio.sleep(1.2)
    assert await one_round(consumer) == 0  # dead-lettered instead of handed out again
    assert await consumer.read_dead_letters() == 1
    assert ingest.media[media[0].id].status is MediaStatus.FAILED
    assert ingest.media[media[0].id].error.code is ErrorCode.POISON_FILE
    assert await consumer.queue.dead_letter.approximate_length() == 0


async def test_sweep_queues_pending_media_without_a_message(queue_path):
    media = originals(3)
    ingest = FakeIngest(media)
    consumer = make_consumer(queue_path, ingest, CrashingPreprocess(set()))
    await consumer.queue.ensure()
    assert await consumer.sweep() == 3
    while await one_round(consumer):
        pass
    assert {m.status for m in ingest.media.values()} == {MediaStatus.CLASSIFIED}


@pytest.mark.parametrize(("attempts", "delay_s"), [(0, 30), (1, 30), (2, 60), (3, 120), (10, 900)])
def test_retry_delay_doubles_per_attempt_up_to_the_cap(attempts, delay_s):
    assert retry_delay_s(attempts, base_s=30, max_s=900) == delay_s
