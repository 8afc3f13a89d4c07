"""The upload recorder: a request's staged files go to ingest in batches, the last batch
once every file has been seen; a failed write answers every waiting file (never hangs);
files recorded pending (not duplicates, not unrecorded) go on the pending-media queue, a
real SQLite one; a queue that is down never fails the upload."""

import asyncio

from ailurus_common.clients.base import UpstreamUnavailable
from ailurus_common.contracts.ingest import MediaBatch, MediaBatchResult, NewMedia, Recorded
from ailurus_common.contracts.work import PendingMedia
from ailurus_common.queue.factory import open_work_queue
from ailurus_common.storage.blob import original_blob_name
from gateway.schemas import FileResult
from gateway.uploads import UploadPipeline, UploadRecorder, _Staged


class RecordingIngest:
    """Answers ``record_media`` as ingest would; remembers the batches it was sent."""

    def __init__(self, *, duplicates: frozenset[str] = frozenset(), down: bool = False) -> None:
        self.batches: list[list[str]] = []
        self.duplicates, self.down = duplicates, down

    async def record_media(self, trap_id: str, body: MediaBatch) -> MediaBatchResult:
        if self.down:
            raise UpstreamUnavailable("ingest unreachable: ClientConnectorError")
        self.batches.append([i.id for i in body.items])
        return MediaBatchResult(items=[Recorded(id=i.id, status="duplicate" if i.id in self.duplicates else "recorded")
                                       for i in body.items])


def staged(n: int) -> _Staged:
    media_id = f"{n:064x}"
    item = NewMedia(id=media_id, file_name=f"{n}.jpg", media_type="image/jpeg", size_bytes=1,
                    blob_original=f"uploads/{original_blob_name(media_id)}", uploaded_by="u")
    return _Staged(item, FileResult(filename=f"{n}.jpg", status="pending", media_id=media_id))


class Enqueued(list):
    async def __call__(self, media_ids: list[str]) -> None:
        self.extend(media_ids)


def recorder(ingest, *, batch: int, enqueued: Enqueued | None = None) -> UploadRecorder:
    return UploadRecorder(ingest, "t", batch=batch, enqueue=enqueued if enqueued is not None else Enqueued())


async def run(recorder: UploadRecorder, files: list) -> list[FileResult]:
    async def one(entry):
        if entry is None:  # a file rejected before it needed a write
            await recorder.skip()
            return None
        return await recorder.add(entry)
    tasks = [asyncio.create_task(one(f)) for f in files]
    await asyncio.sleep(0)  # the files are seen before the body's end is known, as in a request
    await recorder.expect(len(files))
    return await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)


async def test_recorder_writes_full_batches_then_the_rest_once_all_are_seen():
    ingest = RecordingIngest()
    results = await run(recorder(ingest, batch=2), [staged(i) for i in range(4)] + [None])
    assert [len(b) for b in ingest.batches] == [2, 2]
    assert [r.status for r in results[:4]] == ["pending"] * 4


async def test_recorder_reports_duplicates_found_by_ingest():
    ingest = RecordingIngest(duplicates=frozenset({f"{1:064x}"}))
    enqueued = Enqueued()
    results = await run(recorder(ingest, batch=100, enqueued=enqueued), [staged(0), staged(1)])
    assert [r.status for r in results] == ["pending", "duplicate"]
    assert enqueued == [f"{0:064x}"]  # the duplicate's record is someone else's


async def test_recorder_ingest_down_answers_every_file_not_stored():
    enqueued = Enqueued()
    results = await run(recorder(RecordingIngest(down=True), batch=100, enqueued=enqueued),
                        [staged(0), None, staged(1)])
    assert [(r.status, r.error.code) for r in results if r] == [("rejected", "not_stored")] * 2
    assert enqueued == []  # not recorded: nothing for the worker


async def test_pipeline_enqueues_pending_media_on_the_queue_with_its_delay(tmp_path):
    queue = open_work_queue("pending", backend="sqlite", max_attempts=5, sqlite_path=tmp_path / "q.sqlite3")
    await queue.ensure()
    pipeline = UploadPipeline(blobs=None, ingest=RecordingIngest(), preprocess=None, pending=queue, pending_delay_s=0)
    results = await run(pipeline.recorder("t"), [staged(0), staged(1)])
    assert [r.status for r in results] == ["pending", "pending"]
    messages = await queue.receive(10, visibility_timeout_s=30)
    assert sorted(PendingMedia.model_validate_json(m.body).media_id for m in messages) == [f"{0:064x}", f"{1:064x}"]
    await queue.close()


async def test_pipeline_queue_down_still_acknowledges_pending_files(tmp_path):
    (tmp_path / "q.sqlite3").mkdir()  # not a database file: every send fails
    queue = open_work_queue("pending", backend="sqlite", max_attempts=5, sqlite_path=tmp_path / "q.sqlite3")
    pipeline = UploadPipeline(blobs=None, ingest=RecordingIngest(), preprocess=None, pending=queue)
    results = await run(pipeline.recorder("t"), [staged(0)])
    assert [r.status for r in results] == ["pending"]
