"""ingest's recording rules on a real SQLite store: an upload's originals in one write,
bursts grouped as they are recorded (with each other and with stored neighbours)."""

import asyncio
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from ailurus_common.contracts.ingest import Classification, LeaseIn, MediaBatch, NewMedia, Review
from ailurus_common.domain import Group, MediaStatus
from ailurus_common.errors import ErrorCode
from ailurus_common.records import Deployment, ErrorInfo, ExifInfo, LabelScore, MachinePrediction, ModelRef
from ailurus_common.storage.blob import original_blob_name
from ingest.errors import Leased, NotPending, TrapNotFound
from ingest.recording import lease_pending, record_classification, record_review, record_upload
from ingest.store.sqlite import SqliteMetadataStore

GAP_S = 60.0
MODEL = ModelRef(name="m", version="1")


@pytest.fixture
async def store(tmp_path):
    store = SqliteMetadataStore(tmp_path / "m.sqlite3")
    await store.start()
    await store.create_deployment(Deployment(id="t1", name="t1", latitude=27.0, longitude=88.0,
                                             timezone="Asia/Kathmandu"))
    yield store
    await store.close()


def classification(captured_at_local: str | None) -> Classification:
    return Classification(exif=ExifInfo(captured_at_local=captured_at_local, format="JPEG"),
                          prediction=MachinePrediction(group=Group.MAMMAL, label="deer", confidence=0.8, blank=False,
                                                       top_k=[LabelScore(label="deer", score=0.8)], model=MODEL))


def item(n: int, captured_at_local: str | None = None, *, pending: bool = False) -> NewMedia:
    return NewMedia(id=f"{n:064x}", file_name=f"{n}.jpg", media_type="image/png", size_bytes=1,
                    blob_original=f"uploads/{original_blob_name(f'{n:064x}')}", uploaded_by="u",
                    classification=None if pending else classification(captured_at_local),
                    error=ErrorInfo(code=ErrorCode.CLASSIFIER_UNAVAILABLE, message="down") if pending else None)


async def record(store, *items: NewMedia):
    return await record_upload(store, "t1", MediaBatch(items=list(items)), sequence_gap_s=GAP_S)


async def test_record_upload_groups_bursts_within_the_upload(store):
    result = await record(store, item(1, "2024-05-01T12:00:00"), item(2, "2024-05-01T12:00:30"),
                          item(3, "2024-05-01T12:10:00"))
    assert [r.status for r in result.items] == ["recorded"] * 3
    one, two, three = [await store.get_media(f"{n:064x}") for n in (1, 2, 3)]
    assert one.sequence_id == two.sequence_id == one.id and three.sequence_id == three.id
    assert one.timestamp == datetime(2024, 5, 1, 6, 15, tzinfo=UTC)  # Kathmandu is UTC+05:45
    assert one.media_type == "image/png"  # as the gateway sniffed it, not re-derived from the decoder


async def test_record_upload_joins_and_bridges_stored_bursts(store):
    await record(store, item(1, "2024-05-01T12:00:00"))
    await record(store, item(3, "2024-05-01T12:01:40"))
    assert (await store.get_media(f"{3:064x}")).sequence_id == f"{3:064x}"
    await record(store, item(2, "2024-05-01T12:00:50"))  # 50 s after 1, 50 s before 3: one burst now
    assert {(await store.get_media(f"{n:064x}")).sequence_id for n in (1, 2, 3)} == {f"{1:064x}"}


async def test_record_upload_duplicates_and_pending(store):
    await record(store, item(1, "2024-05-01T12:00:00"))
    result = await record(store, item(1, "2024-05-01T12:00:00"), item(4, pending=True))
    assert [r.status for r in result.items] == ["duplicate", "recorded"]
    pending = await store.get_media(f"{4:064x}")
    assert pending.status is MediaStatus.PENDING and pending.attempts == 1 and pending.sequence_id is None
    assert pending.error.code is ErrorCode.CLASSIFIER_UNAVAILABLE


async def test_record_upload_unknown_trap_is_404(store):
    with pytest.raises(TrapNotFound):
        await record_upload(store, "nope", MediaBatch(items=[item(1)]), sequence_gap_s=GAP_S)


async def test_record_classification_of_pending_joins_its_burst_once(store):
    await record(store, item(1, "2024-05-01T12:00:00"), item(2, pending=True))
    media = await record_classification(store, f"{2:064x}", classification("2024-05-01T12:00:20"),
                                        sequence_gap_s=GAP_S)
    assert media.status is MediaStatus.CLASSIFIED and media.sequence_id == f"{1:064x}"
    again = await record_classification(store, f"{2:064x}", classification("2024-05-01T12:00:20"),
                                        sequence_gap_s=GAP_S)
    assert len(again.observations) == 1  # idempotent per model version


@pytest.mark.parametrize("path", ["models/ailurus_classifier/1/model.onnx", "uploads/../models/x", "uploads/aa",
                                  f"processed/{'a' * 64}.jpg", f"uploads/ab/{'a' * 64}/x"])
def test_new_media_original_must_be_an_uploads_original(path):
    with pytest.raises(ValidationError):
        NewMedia(id="a" * 64, file_name="x.jpg", media_type="image/jpeg", size_bytes=1, blob_original=path,
                 uploaded_by="u")


async def test_review_and_classification_at_once_both_stay(store):
    """The read-modify-write race: each is applied to the record as it is when written."""
    await record(store, item(7, pending=True))
    media_id = f"{7:064x}"
    await asyncio.gather(
        record_classification(store, media_id, classification("2024:05:01 10:00:00"), sequence_gap_s=GAP_S),
        record_review(store, media_id, Review(group=Group.RED_PANDA, label="red panda", reviewer="r1")),
        record_review(store, media_id, Review(group=Group.MAMMAL, label="marten", reviewer="r2")))
    stored = await store.get_media(media_id)
    assert sorted(o.classified_by for o in stored.observations) == ["m:1", "r1", "r2"]
    assert stored.status is MediaStatus.CLASSIFIED


async def test_lease_goes_to_one_holder_until_it_ends_or_the_media_is_finished(store):
    await record(store, item(8, pending=True))
    media_id = f"{8:064x}"
    first = await lease_pending(store, media_id, LeaseIn(holder="gateway-a", duration_s=60))
    assert first.lease_holder == "gateway-a"
    with pytest.raises(Leased):
        await lease_pending(store, media_id, LeaseIn(holder="gateway-b", duration_s=60))
    assert (await lease_pending(store, media_id, LeaseIn(holder="gateway-a", duration_s=60))).lease_holder == "gateway-a"
    await record_classification(store, media_id, classification(None), sequence_gap_s=GAP_S)
    with pytest.raises(NotPending):
        await lease_pending(store, media_id, LeaseIn(holder="gateway-b", duration_s=60))
    assert (await store.get_media(media_id)).lease_holder is None


async def test_lease_that_ran_out_can_be_taken(store):
    await record(store, item(9, pending=True))
    media_id = f"{9:064x}"
    await lease_pending(store, media_id, LeaseIn(holder="gateway-a", duration_s=0.01))
    await asyncio.sleep(0.05)
    assert (await lease_pending(store, media_id, LeaseIn(holder="gateway-b", duration_s=60))).lease_holder == "gateway-b"
