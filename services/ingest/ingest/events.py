"""The outbox events a change to the metadata causes, computed from the records as stored.

The store writes them with the change itself (``MetadataStore.create_media_batch`` and
``update_media`` take a function of what was written), so an event exists if and only if
its change does; the notifier delivers them from there. Event ids are fresh UUIDs: the
CloudEvent id, the subscribers' idempotency key.
"""

import uuid
from collections.abc import Iterable

from ailurus_common.contracts.events import EventType, OutboxEvent
from ailurus_common.domain import Group, MediaStatus
from ailurus_common.records import Deployment, Media, utc_now


def _event(kind: EventType, media: Media | None, *, trap_id: str, group: Group | None, sensitive: bool,
           data: dict) -> OutboxEvent:
    return OutboxEvent(id=str(uuid.uuid4()), type=kind, subject=f"media/{media.id}" if media else f"traps/{trap_id}",
                       time=utc_now(), trap_id=trap_id, group=group, sensitive=sensitive, data=data)


class EventPolicy:
    """Which events a change causes; ``sensitive_groups`` (the red panda by default) also
    cause ``sighting.sensitive`` and are withheld from coarse subscribers otherwise."""

    def __init__(self, sensitive_groups: Iterable[Group]) -> None:
        self.sensitive_groups = frozenset(sensitive_groups)

    def _sensitive(self, media: Media) -> bool:
        return media.group in self.sensitive_groups

    def _classified(self, media: Media, deployment: Deployment) -> list[OutboxEvent]:
        sensitive = self._sensitive(media)
        facts = {"media_id": media.id, "trap_id": media.deployment_id, "group": media.group, "label": media.label,
                 "confidence": media.confidence, "timestamp": media.timestamp.isoformat(),
                 "model": media.model_key, "sequence_id": media.sequence_id}
        events = [_event(EventType.MEDIA_CLASSIFIED, media, trap_id=media.deployment_id, group=media.group,
                         sensitive=sensitive, data=facts)]
        if sensitive:
            events.append(_event(EventType.SIGHTING_SENSITIVE, media, trap_id=media.deployment_id,
                                 group=media.group, sensitive=True,
                                 data={**facts, "latitude": deployment.latitude, "longitude": deployment.longitude}))
        return events

    def upload(self, deployment: Deployment, created: list[Media]) -> list[OutboxEvent]:
        """``upload.completed`` for the media an upload recorded, and the classification
        events of those classified at once."""
        if not created:
            return []
        items = [{"media_id": m.id, "status": m.status.value, "group": m.group, "sensitive": self._sensitive(m)}
                 for m in created]
        events = [_event(EventType.UPLOAD_COMPLETED, None, trap_id=deployment.id, group=None,
                         sensitive=any(i["sensitive"] for i in items),
                         data={"trap_id": deployment.id, "uploaded_by": created[0].uploaded_by, "items": items})]
        for media in created:
            if media.status is MediaStatus.CLASSIFIED:
                events.extend(self._classified(media, deployment))
        return events

    def classification(self, deployment: Deployment, before: Media, after: Media) -> list[OutboxEvent]:
        """Events of a pending media classified later (none when nothing new was labelled)."""
        if after.model_key == before.model_key and before.status is MediaStatus.CLASSIFIED:
            return []
        return self._classified(after, deployment)

    def review(self, before: Media, after: Media, reviewer: str) -> list[OutboxEvent]:
        # A review that moves a media out of a sensitive group keeps its event sensitive.
        return [_event(EventType.MEDIA_REVIEWED, after, trap_id=after.deployment_id, group=after.group,
                       sensitive=self._sensitive(before) or self._sensitive(after),
                       data={"media_id": after.id, "trap_id": after.deployment_id, "group": after.group,
                             "label": after.label, "timestamp": after.timestamp.isoformat(), "reviewer": reviewer})]
