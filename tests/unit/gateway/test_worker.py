"""The pending worker against in-memory stand-ins of its three seams (ingest, preprocess,
blobs): a file that crashes preprocess is retried alone, and failed for good when it
crashes it again; files that only shared its bad luck are classified; an outage (503,
service down) never fails anybody's file."""

import asyncio
from datetime import timedelta
from types import SimpleNamespace

import pytest

from ailurus_common.clients.preprocess import Unavailable
from ailurus_common.domain import Group, MediaStatus
from ailurus_common.errors import ErrorCode
from ailurus_common.records import ErrorInfo, ExifInfo, LabelScore, MachinePrediction, ModelRef, utc_now
from gateway.config import GatewaySettings
from gateway.worker import PendingWorker
from tests.contract.factories import make_media

PREDICTION = MachinePrediction(group=Group.RED_PANDA, label="lesser panda", confidence=0.9, blank=False,
                               top_k=[LabelScore(label="lesser panda", score=0.9)], model=ModelRef(name="m", version="1"))


class FakeIngest:
    def __init__(self, media):
        self.media = {m.id: m for m in media}

    async def pending(self, *, older_than_s, limit):
        return SimpleNamespace(items=[m for m in self.media.values() if m.status is MediaStatus.PENDING][:limit])

    async def pending_count(self):
        return sum(m.status is MediaStatus.PENDING for m in self.media.values())

    async def lease(self, media_id, body):
        m = self.media[media_id]
        if m.status is not MediaStatus.PENDING or (m.lease_holder not in (None, body.holder)):
            return None
        self.media[media_id] = m.model_copy(update={"lease_holder": body.holder})
        return self.media[media_id]

    async def record_failure(self, media_id, body):
        m = self.media[media_id]
        self.media[media_id] = m.model_copy(update={
            "status": MediaStatus.FAILED if body.final else MediaStatus.PENDING, "error": body.error,
            "attempts": m.attempts + 1, "updated_at": utc_now() - timedelta(hours=1),  # due again at once
            "lease_holder": None})

    async def record_classification(self, media_id, body):
        self.media[media_id] = self.media[media_id].model_copy(update={"status": MediaStatus.CLASSIFIED, "error": None,
                                                                       "lease_holder": None})


class CrashingPreprocess:
    """Dies on the poison file, taking every call then in flight with it; ``down``: a 503."""

    def __init__(self, poison: set[str], *, down: bool = False):
        self.poison, self.down = poison, down
        self.in_flight: set[str] = set()
        self.company_of_poison: list[set[str]] = []

    async def classify(self, data, *, media_id=None):
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


def stale(media):
    return media.model_copy(update={"updated_at": utc_now() - timedelta(hours=1)})


def make_worker(media, preprocess):
    ingest = FakeIngest([stale(m) for m in media])
    pipeline = SimpleNamespace(ingest=ingest, preprocess=preprocess, blobs=Blobs())
    settings = GatewaySettings(worker_grace_s=0, fanout_concurrency=4, worker_enabled=False, log_json=False)
    return PendingWorker(pipeline, settings), ingest


def originals(count):
    media = [make_media("trap-1") for _ in range(count)]
    return [m.model_copy(update={"blob_original": f"uploads/{m.id[:2]}/{m.id}"}) for m in media]


async def test_worker_fails_poison_file_for_good_after_a_second_interruption_alone():
    media = originals(4)
    poison = media[0].id
    preprocess = CrashingPreprocess({poison})
    worker, ingest = make_worker(media, preprocess)

    await worker.run_once()  # all four together: the crash takes everyone in flight
    assert {m.error.code for m in ingest.media.values()} == {ErrorCode.CLASSIFY_INTERRUPTED}
    assert all(m.status is MediaStatus.PENDING for m in ingest.media.values())

    await worker.run_once()  # each suspect alone now
    assert all(company == set() for company in preprocess.company_of_poison[1:])
    assert ingest.media[poison].status is MediaStatus.FAILED
    assert ingest.media[poison].error.code is ErrorCode.POISON_FILE
    assert {ingest.media[m.id].status for m in media[1:]} == {MediaStatus.CLASSIFIED}

    await worker.run_once()  # never retried again
    assert len(preprocess.company_of_poison) == 2


async def test_worker_keeps_files_pending_through_an_outage_however_often():
    media = originals(3)
    worker, ingest = make_worker(media, CrashingPreprocess(set(), down=True))
    for _ in range(5):
        await worker.run_once()
    assert {m.status for m in ingest.media.values()} == {MediaStatus.PENDING}
    assert {m.error.code for m in ingest.media.values()} == {ErrorCode.CLASSIFIER_UNAVAILABLE}


async def test_worker_suspect_that_then_meets_an_outage_is_not_failed():
    media = originals(1)
    preprocess = CrashingPreprocess({media[0].id})
    worker, ingest = make_worker(media, preprocess)
    ingest.media[media[0].id] = ingest.media[media[0].id].model_copy(
        update={"error": ErrorInfo(code=ErrorCode.CLASSIFY_INTERRUPTED, message="x")})
    preprocess.down = True
    await worker.run_once()
    assert ingest.media[media[0].id].status is MediaStatus.PENDING


@pytest.mark.parametrize(("outcome", "code"), [
    (Unavailable("x", interrupted=True), ErrorCode.CLASSIFY_INTERRUPTED),
    (Unavailable("x"), ErrorCode.CLASSIFIER_UNAVAILABLE),
])
def test_pending_code_says_why_a_file_waits(outcome, code):
    from gateway.uploads import pending_code
    assert pending_code(outcome) is code


async def test_two_workers_never_retry_the_same_file_at_once():
    """Two gateway replicas polling one backlog: each file is classified by one of them."""
    media = originals(6)
    preprocess = CrashingPreprocess(set())
    calls: list[str] = []
    classify = preprocess.classify

    async def counting(data, *, media_id=None):
        calls.append(media_id)
        return await classify(data, media_id=media_id)

    preprocess.classify = counting
    first, ingest = make_worker(media, preprocess)
    second = PendingWorker(first.pipeline, first.settings)
    assert first.holder != second.holder
    await asyncio.gather(first.run_once(), second.run_once())
    assert sorted(calls) == sorted(m.id for m in media)  # each once
    assert {m.status for m in ingest.media.values()} == {MediaStatus.CLASSIFIED}
