"""The review queue: unreviewed classified media as whole bursts, in priority order.

Priorities, highest first: a possible sighting of a sensitive group (its group, or a label
of it scoring at least ``possible_min_score`` anywhere in the machine top-k), then low
confidence (below ``low_confidence``), then the rest. A burst takes the highest priority of
its frames, so a red panda in the third frame brings its whole burst to the front.

The queue is read with the store's plain keyset listings, so it works on every backend
(Cosmos DB has no GROUP BY or multi-field ORDER BY): each priority is one listing of frames,
newest first; a burst is listed at its newest frame in the listing of its own priority (its
anchor) and skipped everywhere else. That decision reads only the burst's own frames, so a
cursor (priority, sort key of the last frame read) resumes exactly where a page stopped,
and every burst is shown once.
"""

import asyncio
import base64
import binascii
from dataclasses import dataclass

from ailurus_common.contracts.ingest import (
    REVIEW_PRIORITIES,
    ReviewBurst,
    ReviewCounts,
    ReviewPriority,
    ReviewQueuePage,
)
from ailurus_common.domain import Group, MediaStatus
from ailurus_common.errors import ErrorCode
from ailurus_common.records import Media, MediaFilter
from ailurus_common.storage.errors import StorageError
from ingest.store.base import MetadataStore, decode_cursor, encode_cursor


@dataclass(frozen=True)
class QueueRules:
    """What makes a frame urgent (``INGEST_REVIEW_*`` settings; the sensitive groups come from the gateway)."""

    sensitive_groups: frozenset[Group]
    possible_min_score: float
    low_confidence: float


def frame_priority(media: Media, rules: QueueRules) -> ReviewPriority | None:
    """The priority of one frame; None for a frame no listing reads (no confidence)."""
    if rules.sensitive_groups and (media.group in rules.sensitive_groups or any(
            media.top_k_groups.get(g, 0.0) >= rules.possible_min_score for g in rules.sensitive_groups)):
        return "sensitive"
    if media.confidence is None:
        return None
    return "low_confidence" if media.confidence < rules.low_confidence else "rest"


def _listing(priority: ReviewPriority, base: MediaFilter, rules: QueueRules) -> MediaFilter | None:
    """The store filter that reads the frames of ``priority``. The low-confidence and rest
    listings also read sensitive frames (no negation on every backend): their bursts are
    skipped there, as the priority of a burst is decided from its frames."""
    if priority == "sensitive":
        if not rules.sensitive_groups:
            return None
        return base.model_copy(update={"possible_groups": sorted(rules.sensitive_groups),
                                       "possible_min_score": rules.possible_min_score})
    if priority == "low_confidence":
        return base.model_copy(update={"max_confidence": rules.low_confidence})
    return base.model_copy(update={"min_confidence": rules.low_confidence})


def _in_listing(media: Media, priority: ReviewPriority, rules: QueueRules) -> bool:
    """Whether ``media`` is read by the listing of ``priority`` (the same test as ``_listing``)."""
    if priority == "sensitive":
        return frame_priority(media, rules) == "sensitive"
    if media.confidence is None:
        return False
    return (media.confidence < rules.low_confidence) == (priority == "low_confidence")


def burst_priority(frames: list[Media], rules: QueueRules) -> ReviewPriority | None:
    """The highest priority among the frames."""
    priorities = {frame_priority(m, rules) for m in frames}
    return next((p for p in REVIEW_PRIORITIES if p in priorities), None)


def encode_queue_cursor(priority: ReviewPriority, sort_key: str) -> str:
    text = f"{REVIEW_PRIORITIES.index(priority)}:{sort_key}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_queue_cursor(cursor: str) -> tuple[int, str]:
    """(priority index, store cursor) of a queue cursor; 400 ``invalid_cursor`` otherwise."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    index, _, sort_key = text.partition(":")
    if index not in {"0", "1", "2"}:
        raise StorageError("cursor is not valid for the review queue", code=ErrorCode.INVALID_CURSOR, status_code=400)
    store_cursor = encode_cursor(sort_key)
    decode_cursor(store_cursor)  # the sort key must be one: invalid_cursor otherwise
    return int(index), store_cursor


class _Bursts:
    """The unreviewed frames of each burst met while building one page (read once each)."""

    def __init__(self, store: MetadataStore, base: MediaFilter, max_frames: int) -> None:
        self.store = store
        self.base = base
        self.max_frames = max_frames
        self._read: dict[tuple[str, str], tuple[list[Media], bool]] = {}

    async def of(self, frame: Media) -> tuple[list[Media], bool]:
        """The burst's frames, newest first (at most ``max_frames``), and whether there are more."""
        key = (frame.deployment_id, frame.sequence_id or frame.id)
        if key not in self._read:
            if frame.sequence_id is None:  # never grouped: a burst of one
                self._read[key] = ([frame], False)
            else:
                burst = self.base.model_copy(update={"deployment_id": frame.deployment_id,
                                                     "sequence_id": frame.sequence_id})
                frames, more = await self.store.list_media(burst, limit=self.max_frames)
                self._read[key] = (frames, more is not None)
        return self._read[key]


async def review_counts(store: MetadataStore, base: MediaFilter, rules: QueueRules) -> ReviewCounts:
    """Media left per priority: five COUNT queries (no record is read)."""
    sensitive = _listing("sensitive", base, rules)
    queries = [base, _listing("low_confidence", base, rules), _listing("rest", base, rules)]
    if sensitive is not None:
        queries += [sensitive,
                    sensitive.model_copy(update={"max_confidence": rules.low_confidence}),
                    sensitive.model_copy(update={"min_confidence": rules.low_confidence})]
    counts = await asyncio.gather(*(store.count_media(q) for q in queries if q is not None))
    total, low, rest, *possible = counts
    sensitive_total, sensitive_low, sensitive_rest = possible or (0, 0, 0)
    return ReviewCounts(total=total, sensitive=sensitive_total, low_confidence=low - sensitive_low,
                        rest=rest - sensitive_rest)


async def review_queue(store: MetadataStore, rules: QueueRules, *, trap_id: str | None, limit: int,
                       cursor: str | None, scan_page_size: int, max_burst_frames: int) -> ReviewQueuePage:
    """One page of at most ``limit`` bursts in queue order, the cursor of the next page, and the counts left."""
    base = MediaFilter(deployment_id=trap_id, status=MediaStatus.CLASSIFIED, unreviewed_only=True)
    start, after = decode_queue_cursor(cursor) if cursor else (0, None)
    bursts = _Bursts(store, base, max_burst_frames)
    items: list[ReviewBurst] = []
    next_cursor = None
    for index in range(start, len(REVIEW_PRIORITIES)):
        priority = REVIEW_PRIORITIES[index]
        listing = _listing(priority, base, rules)
        scan_cursor = after if index == start else None
        while listing is not None and next_cursor is None:
            frames, scan_cursor = await store.list_media(listing, limit=scan_page_size, cursor=scan_cursor)
            for frame in frames:
                burst, more = await bursts.of(frame)
                anchor = next((m for m in burst if _in_listing(m, priority, rules)), None)  # newest first
                if anchor is None or anchor.id != frame.id or burst_priority(burst, rules) != priority:
                    continue  # listed at another frame, or in another priority's listing
                items.append(ReviewBurst(sequence_id=frame.sequence_id or frame.id, deployment_id=frame.deployment_id,
                                         priority=priority, media=burst[::-1], more_frames=more))
                if len(items) == limit:
                    next_cursor = encode_queue_cursor(priority, frame.sort_key)
                    break
            if scan_cursor is None:
                break
        if next_cursor is not None:
            break
    return ReviewQueuePage(items=items, next_cursor=next_cursor, counts=await review_counts(store, base, rules))
