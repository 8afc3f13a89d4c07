"""Outbox events recorded with the changes that cause them (real SQLite store): which
events an upload, a later classification and a review cause, that a failed change records
none, and that acknowledged events leave the outbox."""

import pytest

from ailurus_common.contracts.events import EventType, payload
from ailurus_common.contracts.ingest import Classification, MediaBatch, NewMedia, Review
from ailurus_common.domain import Group
from ailurus_common.errors import ErrorCode
from ailurus_common.records import Deployment, ErrorInfo, ExifInfo, LabelScore, MachinePrediction, ModelRef
from ailurus_common.storage.blob import original_blob_name
from ingest.events import EventPolicy
from ingest.recording import record_classification, record_review, record_upload
from ingest.store.sqlite import SqliteMetadataStore

POLICY = EventPolicy([Group.RED_PANDA])
MODEL = ModelRef(name="m", version="1")


@pytest.fixture
async def store(tmp_path):
    store = SqliteMetadataStore(tmp_path / "m.sqlite3")
    await store.start()
    await store.create_deployment(Deployment(id="t1", name="t1", latitude=27.123456, longitude=88.654321))
    yield store
    await store.close()


def prediction(group: Group, label: str) -> Classification:
    return Classification(exif=ExifInfo(format="JPEG"), prediction=MachinePrediction(
        group=group, label=label, confidence=0.9, blank=False, top_k=[LabelScore(label=label, score=0.9)],
        model=MODEL))


def item(n: int, classification: Classification | None) -> NewMedia:
    return NewMedia(id=f"{n:064x}", file_name=f"{n}.jpg", media_type="image/jpeg", size_bytes=1,
                    blob_original=f"uploads/{original_blob_name(f'{n:064x}')}", uploaded_by="Asha Rai",
                    classification=classification,
                    error=None if classification else ErrorInfo(code=ErrorCode.CLASSIFIER_UNAVAILABLE, message="down"))


async def test_an_upload_records_its_events_and_a_red_panda_sighting(store):
    await record_upload(store, "t1", MediaBatch(items=[item(1, prediction(Group.RED_PANDA, "red panda")),
                                                       item(2, prediction(Group.BIRD, "pheasant")), item(3, None)]),
                        sequence_gap_s=60, events=POLICY)
    events = await store.pending_events(limit=100)
    assert [e.type for e in events] == [EventType.UPLOAD_COMPLETED, EventType.MEDIA_CLASSIFIED,
                                        EventType.SIGHTING_SENSITIVE, EventType.MEDIA_CLASSIFIED]
    upload, panda, sighting, bird = events
    assert len({e.id for e in events}) == 4
    # exact precision: the trap's position and the uploader; coarse: neither, nor the panda's media
    exact = payload(sighting, "exact")
    assert (exact["latitude"], exact["longitude"], exact["media_id"]) == (27.123456, 88.654321, f"{1:064x}")
    assert payload(sighting, "coarse") == {"precision": "coarse", "group": "red_panda"}
    assert payload(panda, "coarse") is None and payload(panda, "exact")["media_id"] == f"{1:064x}"
    assert payload(bird, "coarse")["label"] == "pheasant"
    assert payload(upload, "exact")["uploaded_by"] == "Asha Rai"
    coarse_upload = payload(upload, "coarse")
    assert "uploaded_by" not in coarse_upload
    assert [i["media_id"] for i in coarse_upload["items"]] == [f"{2:064x}", f"{3:064x}"]


async def test_a_duplicate_upload_records_no_event(store):
    batch = MediaBatch(items=[item(1, prediction(Group.BIRD, "pheasant"))])
    await record_upload(store, "t1", batch, sequence_gap_s=60, events=POLICY)
    first = await store.pending_events(limit=100)
    await record_upload(store, "t1", batch, sequence_gap_s=60, events=POLICY)
    assert await store.pending_events(limit=100) == first


async def test_a_later_classification_and_a_review_record_theirs_and_ack_removes(store):
    await record_upload(store, "t1", MediaBatch(items=[item(1, None)]), sequence_gap_s=60, events=POLICY)
    await record_classification(store, f"{1:064x}", prediction(Group.MAMMAL, "deer"), sequence_gap_s=60,
                                events=POLICY)
    # the same model again (a retried request) changes nothing and records nothing
    await record_classification(store, f"{1:064x}", prediction(Group.MAMMAL, "deer"), sequence_gap_s=60,
                                events=POLICY)
    await record_review(store, f"{1:064x}", Review(group=Group.RED_PANDA, label="red panda", reviewer="Dr. Lama"),
                        events=POLICY)
    events = await store.pending_events(limit=100)
    assert [e.type for e in events] == [EventType.UPLOAD_COMPLETED, EventType.MEDIA_CLASSIFIED,
                                        EventType.MEDIA_REVIEWED]
    review = events[-1]
    assert review.sensitive and payload(review, "coarse") is None
    assert payload(review, "exact")["reviewer"] == "Dr. Lama"
    assert await store.ack_events([e.id for e in events[:2]]) == 2
    assert await store.pending_events(limit=100) == [review]
    await store.append_events([review])  # a re-sent id is kept once
    assert await store.pending_events(limit=100) == [review]
