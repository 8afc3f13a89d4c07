"""The ``MetadataStore`` seam: deployments, media (with embedded observations) and the
aggregates the map needs.

Aggregates must work on real Cosmos DB, where the SDK has no GROUP BY: per-group counts
come from counters kept on write, one counter record per (deployment, UTC day), updated
whenever a media's counted state (status classified, group, day) changes.
"""

import base64
import binascii
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Literal, NamedTuple, Protocol

from ailurus_common.contracts.events import OutboxEvent
from ailurus_common.contracts.ingest import DeletedMedia
from ailurus_common.contracts.jobs import Job, ShardReport
from ailurus_common.domain import Group, MediaStatus
from ailurus_common.errors import ErrorCode
from ailurus_common.records import UTC_TEXT_FORMAT, Deployment, Media, MediaFilter, utc_text
from ailurus_common.storage.errors import StorageError

_CHANGE_CURSOR_PREFIX = "changes:"
_SORT_KEY = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\|[0-9a-f]{64}")

CounterKey = tuple[str, str, str]  # (deployment_id, UTC day, group)


CountsPer = Literal["deployment", "day", "deployment_day"]
# The new record computed from the current one (update_media).
MediaChange = Callable[[Media], Media]
# The outbox events of a write, from what it wrote: the media a batch created; a media
# before and after an update.
BatchEvents = Callable[[list[Media]], list[OutboxEvent]]
ChangeEvents = Callable[[Media, Media], list[OutboxEvent]]


class Frame(NamedTuple):
    """A classified media as burst grouping sees it."""

    id: str
    timestamp: datetime
    sequence_id: str | None


def parse_utc_text(text: str) -> datetime:
    """The datetime ``utc_text`` wrote."""
    return datetime.strptime(text, UTC_TEXT_FORMAT).replace(tzinfo=UTC)


class MetadataStore(Protocol):
    async def start(self) -> None:
        """Open connections; create database/containers/tables if missing."""

    async def close(self) -> None: ...

    async def is_ready(self) -> bool: ...

    # deployments -----------------------------------------------------------------
    async def create_deployment(self, deployment: Deployment) -> None:
        """Raises ``Conflict`` when the id exists."""

    async def get_deployment(self, deployment_id: str) -> Deployment | None: ...

    async def list_deployments(self) -> list[Deployment]:
        """All deployments, ordered by id."""

    async def replace_deployment(self, deployment: Deployment) -> None:
        """Raises ``NotFound``."""

    async def delete_deployment(self, deployment_id: str) -> bool:
        """Deletes the deployment, its media records and its counters; False if absent."""

    # media -----------------------------------------------------------------------
    async def create_media(self, media: Media) -> bool:
        """Insert; returns False (and stores nothing) when a media with this id exists
        in ANY deployment (same bytes = one record)."""

    async def create_media_batch(self, media: list[Media], *, events: BatchEvents | None = None) -> list[bool]:
        """``create_media`` for each, in order, with the counters adjusted once per key
        (an upload's frames share a day counter). A later item with the id of an earlier
        one is a duplicate too. ``events`` of the created media go into the outbox with them."""

    async def get_media(self, media_id: str) -> Media | None: ...

    async def update_media(self, media_id: str, change: MediaChange, *,
                           events: ChangeEvents | None = None) -> Media | None:
        """Apply ``change`` to the stored media atomically and return what was stored: the
        current record is read, ``change`` computes the new one from it, and the write
        succeeds only if nobody wrote in between (else it is read again and ``change`` runs
        again), so no concurrent update is lost. ``change`` returning its input writes
        nothing. None when there is no such media. ``change`` must be a pure function of
        the record: it may run several times. ``events`` of (current, new) go into the
        outbox with the write (nothing when nothing was written)."""

    async def delete_media(self, media_id: str) -> bool:
        """Delete one media record (and its share of the counters); False if absent."""

    async def list_media(self, filters: MediaFilter, *, limit: int,
                         cursor: str | None = None) -> tuple[list[Media], str | None]:
        """Newest first by ``Media.sort_key``; returns the page and the cursor of the
        next page (None on the last). The cursor is opaque to callers."""

    async def list_changes(self, *, after: str | None, limit: int, exclude_groups: list[Group],
                           exclude_pending: bool) -> tuple[list[Media | DeletedMedia], str]:
        """Media created, changed or deleted (a ``DeletedMedia``) after the change cursor ``after`` (None: from the start),
        in the order their writes became visible, and the cursor to resume from (the last
        one returned; ``after`` itself when nothing is new). Every write of a media stamps
        a new change key, so a media changed while a reader pages moves behind the reader's
        position and is read once more there, with its new state: across pages no change
        is missed and none is read twice. Media whose current group is in
        ``exclude_groups`` (and with ``exclude_pending``, media not yet labelled) are not
        read at all, so the cursor never moves past a change the caller may not see; the
        same holds for a deleted media by what it was when deleted. The cursor is opaque to
        callers."""

    async def list_pending(self, *, updated_before: datetime, limit: int) -> list[Media]:
        """Media with status pending whose ``updated_at`` is older than ``updated_before``."""

    async def frames_near(self, deployment_id: str, start: datetime, end: datetime) -> list[Frame]:
        """Classified media of one deployment with ``start <= timestamp <= end``, oldest
        first by ``Media.sort_key``, as the three fields burst grouping reads (a window can
        hold hundreds of frames: whole records would be read for nothing)."""

    # outbox ------------------------------------------------------------------------
    async def append_events(self, events: list[OutboxEvent]) -> None:
        """Record events of changes made elsewhere (the ML layer's model switches); an id
        already recorded is kept as it is (a re-sent event)."""

    async def pending_events(self, *, limit: int) -> list[OutboxEvent]:
        """Events not yet acknowledged by the notifier, oldest first."""

    async def ack_events(self, ids: list[str]) -> int:
        """Remove events the notifier has taken over; returns how many were pending."""

    # batch jobs --------------------------------------------------------------------
    async def create_job(self, job: Job) -> None:
        """Raises ``Conflict`` when the id exists."""

    async def get_job(self, job_id: str) -> Job | None: ...

    async def list_jobs(self, *, limit: int) -> list[Job]:
        """The newest ``limit`` jobs, newest first."""

    async def cancel_job(self, job_id: str) -> Job | None:
        """Mark the job cancelled and return it; None if absent; ``StorageError`` 409
        ``job_finished`` when it has finished already."""

    async def report_shard(self, job_id: str, report: ShardReport) -> Job | None:
        """Add one shard's counts to the job atomically, once per ``report.shard_id`` (a
        shard reported again changes nothing); returns the job as stored, None if absent."""

    # aggregates --------------------------------------------------------------------
    async def group_counts(self, *, deployment_id: str | None = None, start_day: date | None = None,
                           end_day: date | None = None, per: CountsPer = "deployment",
                           ) -> dict[str, dict[Group, int]]:
        """Classified media per group, keyed by deployment id (or by UTC day, ISO
        ``YYYY-MM-DD``, with ``per="day"``; by ``<deployment id>/<day>`` with
        ``per="deployment_day"``), from the daily counters, days inclusive. Keys with no
        counts are absent."""

    async def model_keys(self) -> list[str]:
        """Every ``Media.model_key`` ("name:version") that labelled a media, sorted; one
        small query per key (Cosmos has no DISTINCT)."""

    async def count_media(self, filters: MediaFilter) -> int:
        """COUNT of media matching the filters (one COUNT query; never reads records)."""

    async def reconcile_counters(self, *, since: datetime, until: datetime) -> int:
        """Recount each (deployment, day) counter whose media or counter was written in
        ``[since, until)`` from the media themselves and correct it; returns how many were
        wrong. A backend whose counters change in the same transaction as the media has
        nothing to correct (0)."""


# helpers shared by the backends --------------------------------------------------------
def encode_cursor(sort_key: str) -> str:
    """The ``list_media`` cursor that resumes after the media with ``sort_key``."""
    # base64 keeps the cursor opaque to callers; the padding is dropped so it is URL-clean.
    return base64.urlsafe_b64encode(sort_key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The sort key a cursor stands for; ``StorageError`` (400 ``invalid_cursor``) if it is
    not one ``encode_cursor`` made."""
    # The cursor comes from the client and goes into a query: anything that is not a sort key
    # must fail as the client's error, not page from a wrong place or fail as a 5xx.
    try:
        sort_key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        sort_key = ""
    if not _SORT_KEY.fullmatch(sort_key):
        raise StorageError("cursor is not valid for this listing", code=ErrorCode.INVALID_CURSOR, status_code=400)
    return sort_key


def change_key(stamp: datetime, media_id: str) -> str:
    """The feed position of a write of ``media_id`` made at ``stamp``."""
    return f"{utc_text(stamp)}|{media_id}"


def encode_change_cursor(key: str) -> str:
    """The ``list_changes`` cursor that resumes after the change with ``key``."""
    return base64.urlsafe_b64encode((_CHANGE_CURSOR_PREFIX + key).encode()).decode().rstrip("=")


def decode_change_cursor(cursor: str) -> str:
    """The change key a change cursor stands for; ``StorageError`` (400 ``invalid_cursor``)
    otherwise (a media listing's cursor is not a change cursor)."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    key = text.removeprefix(_CHANGE_CURSOR_PREFIX)
    if not text.startswith(_CHANGE_CURSOR_PREFIX) or not _SORT_KEY.fullmatch(key):
        raise StorageError("cursor is not a change feed cursor", code=ErrorCode.INVALID_CURSOR, status_code=400)
    return key


# The cursor before every change (what a caller starting from the beginning resumes from).
FIRST_CHANGE_CURSOR = encode_change_cursor("0001-01-01T00:00:00.000000Z|" + "0" * 64)


def counter_key(deployment_id: str, status: str, group: str | None, timestamp_utc: str) -> CounterKey | None:
    """Where a media counts in the daily counters, or None when it does not count.

    ``timestamp_utc`` is ``utc_text`` of the media's timestamp (as stored by the backends)."""
    # Only classified media with a group are counted; the day is the UTC one, so every backend
    # (and every reader's time zone) puts a media in the same counter.
    if status != MediaStatus.CLASSIFIED or group is None:
        return None
    return deployment_id, timestamp_utc[:10], str(group)


def media_counter_key(media: Media) -> CounterKey | None:
    """``counter_key`` of a ``Media`` record."""
    return counter_key(media.deployment_id, media.status, media.group, utc_text(media.timestamp))
