"""Notifications: the outbox events ingest records with the changes that cause them, the
webhook subscriptions the notifier delivers them to, and what a subscriber may see of them.

An ``OutboxEvent`` holds the exact facts (trap, position, people's names). What leaves the
system is built per subscription precision from the allow-list payload models below, as the
gateway builds its API answers (``gateway.views``): a coarse payload is decided by the
coarse model's own fields, never by what is removed. A coarse subscriber is told about
sensitive-group media (the red panda by default) only through ``sighting.sensitive``, which
then names no media, trap, cell or time beyond the event's own; every other event about
such a media is withheld from it, as if the media did not exist (the API's rule).
"""

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from ailurus_common.domain import Group
from ailurus_common.records import TRAP_ID_PATTERN

EVENT_SOURCE = "/ailurus"
SIGNATURE_HEADER = "X-Ailurus-Signature"  # "sha256=<hex HMAC-SHA256 of the body with the secret>"
EVENT_ID_HEADER = "X-Ailurus-Event-Id"  # the CloudEvent id: the subscriber's idempotency key
Precision = Literal["coarse", "exact"]


class EventType(StrEnum):
    MEDIA_CLASSIFIED = "media.classified"
    SIGHTING_SENSITIVE = "sighting.sensitive"
    UPLOAD_COMPLETED = "upload.completed"
    MEDIA_REVIEWED = "media.reviewed"
    MODEL_PROMOTED = "model.promoted"
    MODEL_ROLLED_BACK = "model.rolled_back"


class OutboxEvent(BaseModel):
    """One event as recorded (exact facts in ``data``); ``id`` is the CloudEvent id."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=128)
    type: EventType
    subject: str | None = None
    time: datetime
    # What subscription filters match on; sensitive: about a sensitive-group media.
    trap_id: str | None = None
    group: Group | None = None
    sensitive: bool = False
    data: dict[str, Any]


class OutboxPage(BaseModel):
    items: list[OutboxEvent]


class OutboxAck(BaseModel):
    """Events the notifier has taken over (their deliveries are recorded on its side)."""

    ids: list[str] = Field(max_length=1000)


class OutboxAcked(BaseModel):
    acked: int


# subscriptions -------------------------------------------------------------------------
class SubscriptionCreate(BaseModel):
    """What an admin subscribes; ``types`` empty = every type."""

    model_config = ConfigDict(extra="forbid")

    url: HttpUrl
    secret: str = Field(min_length=16, max_length=256, description="Key of the HMAC-SHA256 signature; never returned.")
    types: list[EventType] = Field(default_factory=list)
    trap_id: str | None = Field(default=None, pattern=TRAP_ID_PATTERN)
    group: Group | None = None
    precision: Precision = Field(default="coarse", description="exact: positions and names, as an admin sees them.")


class SubscriptionRequest(SubscriptionCreate):
    """What the gateway asks the notifier to record: the admin's subscription and who they are."""

    created_by: str = Field(min_length=1, max_length=200)


class Subscription(BaseModel):
    """A subscription as shown (the secret is never part of it)."""

    id: str
    url: str
    types: list[EventType]
    trap_id: str | None
    group: Group | None
    precision: Precision
    created_by: str
    created_at: datetime


class SubscriptionList(BaseModel):
    items: list[Subscription]


DeliveryStatus = Literal["pending", "delivered", "dead_lettered"]


class Delivery(BaseModel):
    """One event to one subscription, as the delivery log shows it."""

    event_id: str
    event_type: EventType
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryList(BaseModel):
    items: list[Delivery]


def matches(subscription: Subscription, event: OutboxEvent) -> bool:
    """Whether the subscription's filters (type, trap, group) take the event."""
    if subscription.types and event.type not in subscription.types:
        return False
    if subscription.trap_id is not None and event.trap_id != subscription.trap_id:
        return False
    return subscription.group is None or event.group == subscription.group


# payloads per precision (allow-lists) ---------------------------------------------------
class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")
    precision: Precision


class MediaClassifiedCoarse(_Payload):
    media_id: str
    trap_id: str
    group: Group | None
    label: str | None
    confidence: float | None
    timestamp: datetime
    model: str | None
    sequence_id: str | None = None


class MediaClassifiedExact(MediaClassifiedCoarse):
    pass  # nothing more is exact about a classification than what a coarse caller sees


class MediaReviewedCoarse(_Payload):
    media_id: str
    trap_id: str
    group: Group
    label: str
    timestamp: datetime


class MediaReviewedExact(MediaReviewedCoarse):
    reviewer: str


class UploadItem(BaseModel):
    media_id: str
    status: str
    group: Group | None = None


class UploadCompletedCoarse(_Payload):
    trap_id: str
    items: list[UploadItem]


class UploadCompletedExact(UploadCompletedCoarse):
    uploaded_by: str | None


class SightingSensitiveCoarse(_Payload):
    """A sensitive group was seen somewhere in the network: no media, trap, cell or time."""

    group: Group


class SightingSensitiveExact(_Payload):
    group: Group
    media_id: str
    trap_id: str
    label: str | None
    confidence: float | None
    timestamp: datetime
    latitude: float
    longitude: float


class ServedModelOut(BaseModel):
    name: str
    version: str | None


class ModelChanged(_Payload):
    old: ServedModelOut
    new: ServedModelOut
    changed_at: datetime


_PAYLOADS: dict[EventType, dict[Precision, type[_Payload]]] = {
    EventType.MEDIA_CLASSIFIED: {"coarse": MediaClassifiedCoarse, "exact": MediaClassifiedExact},
    EventType.MEDIA_REVIEWED: {"coarse": MediaReviewedCoarse, "exact": MediaReviewedExact},
    EventType.UPLOAD_COMPLETED: {"coarse": UploadCompletedCoarse, "exact": UploadCompletedExact},
    EventType.SIGHTING_SENSITIVE: {"coarse": SightingSensitiveCoarse, "exact": SightingSensitiveExact},
    EventType.MODEL_PROMOTED: {"coarse": ModelChanged, "exact": ModelChanged},
    EventType.MODEL_ROLLED_BACK: {"coarse": ModelChanged, "exact": ModelChanged},
}

P = TypeVar("P", bound=BaseModel)


def _pick(model: type[P], data: dict[str, Any], **values: Any) -> P:
    """``model`` from the keys of ``data`` it names (an allow-list), with ``values`` set."""
    names = set(model.model_fields) - set(values)
    return model.model_validate({**{k: v for k, v in data.items() if k in names}, **values})


def payload(event: OutboxEvent, precision: Precision) -> dict[str, Any] | None:
    """The CloudEvent ``data`` a subscriber at ``precision`` gets, or None when the event is
    not for it (a coarse subscriber and a sensitive media's own events)."""
    model = _PAYLOADS[event.type][precision]
    if precision == "coarse" and event.sensitive and event.type not in (EventType.SIGHTING_SENSITIVE,
                                                                        EventType.UPLOAD_COMPLETED):
        return None
    data = dict(event.data)
    if precision == "coarse" and event.type is EventType.UPLOAD_COMPLETED:
        # The upload's sensitive media are left out of it, as the media list leaves them out.
        data["items"] = [i for i in data.get("items", []) if not i.get("sensitive")]
        if not data["items"]:
            return None
    if event.type is EventType.UPLOAD_COMPLETED:
        data["items"] = [_pick(UploadItem, i) for i in data["items"]]
    return _pick(model, data, precision=precision).model_dump(mode="json")
