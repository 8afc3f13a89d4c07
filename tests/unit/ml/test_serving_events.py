"""The event a model switch announces: one id per pointer write (a re-sent announcement is
recorded once by ingest), the same payload at every precision."""

from datetime import UTC, datetime

from ailurus_common.contracts.events import EventType, payload
from ailurus_common.contracts.serving import ServedModel, ServingState
from ailurus_ml.serving import model_event


def test_a_promotion_event_names_both_models_and_its_id_follows_the_pointer():
    state = ServingState(live=ServedModel(name="station_c", version="3"), previous=ServedModel(name="ailurus_classifier"),
                         changed_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC))
    event = model_event(EventType.MODEL_PROMOTED, state)
    assert event.id == model_event(EventType.MODEL_PROMOTED, state).id
    later = state.model_copy(update={"changed_at": datetime(2026, 12, 1, 9, 31, tzinfo=UTC)})
    assert model_event(EventType.MODEL_PROMOTED, later).id != event.id
    assert payload(event, "coarse") == payload(event, "exact") | {"precision": "coarse"} == {
        "precision": "coarse", "old": {"name": "ailurus_classifier", "version": None},
        "new": {"name": "station_c", "version": "3"}, "changed_at": "2026-12-01T09:30:00Z"}
