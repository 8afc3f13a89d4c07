"""The review queue's order on a real SQLite store: possible sensitive sightings first (even
as a runner-up in the top-k), then low confidence, then the rest; whole bursts; a cursor that
shows every burst once; counts left per priority; bulk decisions and their undo."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from ailurus_common.contracts.ingest import ReviewDecision, ReviewDecisions, ReviewUndo, ReviewUndoItem
from ailurus_common.domain import Group, MediaStatus
from ailurus_common.records import Deployment, LabelScore, Media, ModelRef, Observation
from ailurus_common.storage.errors import StorageError
from ingest.recording import record_decisions, undo_reviews
from ingest.review_queue import QueueRules, burst_priority, frame_priority, review_queue
from ingest.store.sqlite import SqliteMetadataStore

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
MODEL = ModelRef(name="m", version="1")
RULES = QueueRules(sensitive_groups=frozenset({Group.RED_PANDA}), possible_min_score=0.05, low_confidence=0.6)


def frame(n: int, *, trap: str = "t1", minute: float, sequence: str | None, group: Group = Group.MAMMAL,
          confidence: float = 0.9, top_k: tuple[tuple[str, float, Group], ...] = ()) -> Media:
    media_id = hashlib.sha256(str(n).encode()).hexdigest()
    media = Media(id=media_id, deployment_id=trap, file_name=f"{n}.jpg", media_type="image/jpeg", size_bytes=1,
                  blob_original=f"{trap}/{media_id}.jpg", uploaded_by="u",
                  timestamp=T0 + timedelta(minutes=minute), sequence_id=sequence, status=MediaStatus.CLASSIFIED)
    scores = [LabelScore(label=label, score=score, group=g) for label, score, g in top_k]
    return media.with_observation(Observation(id=f"o{n}", group=group, label=str(group), confidence=confidence,
                                              top_k=scores, method="machine", classified_by="m:1", model=MODEL))


@pytest.fixture
async def store(tmp_path):
    store = SqliteMetadataStore(tmp_path / "m.sqlite3")
    await store.start()
    for trap in ("t1", "t2"):
        await store.create_deployment(Deployment(id=trap, name=trap, latitude=27.0, longitude=88.0))
    yield store
    await store.close()


async def seed(store) -> dict[str, list[Media]]:
    """Four bursts: a confident one (newest), a low-confidence one, one with a red panda as the
    third frame's runner-up, and one on another trap with a faint panda score (below the threshold)."""
    bursts = {
        "confident": [frame(1, minute=30, sequence="b-confident"), frame(2, minute=30.1, sequence="b-confident")],
        "low": [frame(3, minute=20, sequence="b-low", confidence=0.4), frame(4, minute=20.2, sequence="b-low")],
        "panda": [frame(5, minute=10, sequence="b-panda"), frame(6, minute=10.1, sequence="b-panda"),
                  frame(7, minute=10.2, sequence="b-panda",
                        top_k=(("badger", 0.7, Group.MAMMAL), ("lesser panda", 0.2, Group.RED_PANDA)))],
        "faint": [frame(8, trap="t2", minute=40, sequence="b-faint",
                        top_k=(("badger", 0.9, Group.MAMMAL), ("lesser panda", 0.01, Group.RED_PANDA)))],
    }
    assert all(await store.create_media_batch([m for burst in bursts.values() for m in burst]))
    return bursts


def test_frame_priority_runner_up_above_threshold_is_sensitive():
    runner_up = frame(1, minute=0, sequence=None, top_k=(("lesser panda", 0.05, Group.RED_PANDA),))
    faint = frame(2, minute=0, sequence=None, confidence=0.5, top_k=(("lesser panda", 0.049, Group.RED_PANDA),))
    assert frame_priority(runner_up, RULES) == "sensitive"
    assert frame_priority(faint, RULES) == "low_confidence"
    assert frame_priority(frame(3, minute=0, sequence=None, group=Group.RED_PANDA), RULES) == "sensitive"
    assert frame_priority(faint, QueueRules(frozenset(), 0.05, 0.6)) == "low_confidence"
    assert burst_priority([faint, runner_up], RULES) == "sensitive"


async def test_review_queue_orders_possible_panda_then_low_confidence_then_rest(store):
    bursts = await seed(store)
    page = await review_queue(store, RULES, trap_id=None, limit=10, cursor=None, scan_page_size=2,
                              max_burst_frames=50)
    assert [(b.sequence_id, b.priority) for b in page.items] == [
        ("b-panda", "sensitive"), ("b-low", "low_confidence"), ("b-faint", "rest"), ("b-confident", "rest")]
    assert [m.id for m in page.items[0].media] == [m.id for m in bursts["panda"]]  # whole burst, oldest first
    assert page.next_cursor is None
    assert page.counts.model_dump() == {"total": 8, "sensitive": 1, "low_confidence": 1, "rest": 6}


async def test_review_queue_cursor_shows_every_burst_once_in_order(store):
    await seed(store)
    seen, cursor = [], None
    for _ in range(10):
        page = await review_queue(store, RULES, trap_id=None, limit=1, cursor=cursor, scan_page_size=1,
                                  max_burst_frames=50)
        seen += [b.sequence_id for b in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ["b-panda", "b-low", "b-faint", "b-confident"]


async def test_review_queue_filters_by_trap_and_drops_reviewed(store):
    bursts = await seed(store)
    decided = await record_decisions(store, ReviewDecisions(reviewer="rita", items=[
        ReviewDecision(media_id=m.id) for m in bursts["panda"]]), concurrency=4)
    assert [d.status for d in decided.items] == ["recorded"] * 3
    page = await review_queue(store, RULES, trap_id="t1", limit=10, cursor=None, scan_page_size=10,
                              max_burst_frames=50)
    assert [b.sequence_id for b in page.items] == ["b-low", "b-confident"]
    assert page.counts.model_dump() == {"total": 4, "sensitive": 0, "low_confidence": 1, "rest": 3}


async def test_record_decisions_confirm_and_correct_are_human_observations(store):
    bursts = await seed(store)
    first, second = bursts["low"]
    result = await record_decisions(store, ReviewDecisions(reviewer="rita", items=[
        ReviewDecision(media_id=first.id), ReviewDecision(media_id=second.id, group=Group.BLANK),
        ReviewDecision(media_id="0" * 64)]), concurrency=4)
    confirmed, corrected, missing = result.items
    assert (confirmed.media.review_state, confirmed.media.group) == ("confirmed", Group.MAMMAL)
    assert (corrected.media.review_state, corrected.media.group) == ("corrected", Group.BLANK)
    human = corrected.media.observations[-1]
    assert (human.method, human.classified_by, human.id) == ("human", "rita", corrected.observation_id)
    assert missing.status == "not_found"


async def test_undo_reviews_restores_previous_label_only_for_own_reviews(store):
    bursts = await seed(store)
    media = bursts["confident"][0]
    first = (await record_decisions(store, ReviewDecisions(reviewer="rita", items=[
        ReviewDecision(media_id=media.id, group=Group.BIRD)]), concurrency=1)).items[0]
    second = (await record_decisions(store, ReviewDecisions(reviewer="rita", items=[
        ReviewDecision(media_id=media.id, group=Group.RED_PANDA)]), concurrency=1)).items[0]
    others = await undo_reviews(store, ReviewUndo(reviewer="sam", items=[
        ReviewUndoItem(media_id=media.id, observation_id=second.observation_id)]), concurrency=1)
    assert others.items[0].status == "not_found"
    undone = await undo_reviews(store, ReviewUndo(reviewer="rita", items=[
        ReviewUndoItem(media_id=media.id, observation_id=second.observation_id)]), concurrency=1)
    assert (undone.items[0].status, undone.items[0].media.group) == ("undone", Group.BIRD)
    await undo_reviews(store, ReviewUndo(reviewer="rita", items=[
        ReviewUndoItem(media_id=media.id, observation_id=first.observation_id)]), concurrency=1)
    restored = await store.get_media(media.id)
    assert (restored.group, restored.review_state, len(restored.observations)) == (Group.MAMMAL, None, 1)
    machine = await undo_reviews(store, ReviewUndo(reviewer="m:1", items=[
        ReviewUndoItem(media_id=media.id, observation_id="o1")]), concurrency=1)
    assert machine.items[0].status == "not_found"  # machine labels are never erased


@pytest.mark.parametrize("cursor", ["nonsense", "Mzp4", "OTo"])
async def test_review_queue_invalid_cursor_is_400(store, cursor):
    with pytest.raises(StorageError) as refused:
        await review_queue(store, RULES, trap_id=None, limit=1, cursor=cursor, scan_page_size=1, max_burst_frames=5)
    assert refused.value.status_code == 400
