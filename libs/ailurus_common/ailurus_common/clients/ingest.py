"""``IngestClient``: one method per ingest endpoint (``/v1/...``), contract models in and out."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from ailurus_common.auth.service import ServiceTokens
from ailurus_common.clients.base import ServiceClient, UpstreamError
from ailurus_common.contracts.events import OutboxAck, OutboxAcked, OutboxEvent, OutboxPage
from ailurus_common.contracts.exports import ExportItem, ExportPrecision
from ailurus_common.contracts.ingest import (
    Analytics,
    ChangePage,
    Classification,
    FailureIn,
    Heatmap,
    LeaseIn,
    MediaBatch,
    MediaBatchResult,
    MediaPage,
    MonthlyHeatmap,
    PendingCount,
    Review,
    ReviewDecisionResults,
    ReviewDecisions,
    ReviewQueuePage,
    ReviewUndo,
    ReviewUndoResults,
    TrapCollection,
    TrapCreate,
    TrapDetail,
    TrapList,
    TrapUpdate,
)
from ailurus_common.contracts.jobs import Job, JobCreate, JobList, ShardReport
from ailurus_common.domain import Group, MediaStatus
from ailurus_common.errors import ErrorCode
from ailurus_common.records import Deployment, Media


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class IngestClient(ServiceClient):
    service = "ingest"

    def __init__(self, base_url: str, *, timeout_s: float, tokens: ServiceTokens, max_connections: int = 64) -> None:
        super().__init__(base_url, timeout_s=timeout_s, max_connections=max_connections, tokens=tokens)
        self._timeout_s = timeout_s

    # traps -------------------------------------------------------------------------
    async def create_trap(self, body: TrapCreate) -> Deployment:
        return await self._call("POST", "/v1/traps", Deployment, body=body)

    async def list_traps(self) -> TrapList:
        return await self._call("GET", "/v1/traps", TrapList)

    async def get_trap(self, trap_id: str) -> Deployment:
        """The trap alone (cheap: no counts); ``UpstreamError`` 404 ``trap_not_found``."""
        return await self._call("GET", f"/v1/traps/{trap_id}", Deployment)

    async def trap_detail(self, trap_id: str) -> TrapDetail:
        """The trap with its counts per group."""
        return await self._call("GET", f"/v1/traps/{trap_id}/detail", TrapDetail)

    async def update_trap(self, trap_id: str, body: TrapUpdate) -> Deployment:
        return await self._call("PATCH", f"/v1/traps/{trap_id}", Deployment, body=body)

    async def delete_trap(self, trap_id: str) -> None:
        await self._call("DELETE", f"/v1/traps/{trap_id}")

    # media -------------------------------------------------------------------------
    async def record_media(self, trap_id: str, body: MediaBatch) -> MediaBatchResult:
        """Record the originals of one upload (classified or pending) in one write."""
        return await self._call("POST", f"/v1/traps/{trap_id}/media", MediaBatchResult, body=body)

    async def get_media(self, media_id: str) -> Media:
        return await self._call("GET", f"/v1/media/{media_id}", Media)

    async def find_media(self, media_id: str) -> Media | None:
        """The media, or None when ingest has no record of it."""
        try:
            return await self.get_media(media_id)
        except UpstreamError as exc:
            if exc.code is ErrorCode.MEDIA_NOT_FOUND:
                return None
            raise

    async def list_media(self, *, trap_id: str | None = None, group: Group | None = None, label: str | None = None,
                         status: MediaStatus | None = None, start: datetime | None = None,
                         end: datetime | None = None, min_confidence: float | None = None, limit: int = 50,
                         cursor: str | None = None, exclude_groups: list[Group] | None = None,
                         exclude_pending: bool = False) -> MediaPage:
        params = {"trap_id": trap_id, "group": group, "label": label, "status": status, "from": _iso(start),
                  "to": _iso(end), "min_confidence": min_confidence, "limit": limit, "cursor": cursor,
                  "exclude_group": list(exclude_groups or []), "exclude_pending": exclude_pending}
        return await self._call("GET", "/v1/media", MediaPage, params=params)

    async def list_changes(self, *, cursor: str | None, limit: int, exclude_groups: list[Group],
                           exclude_pending: bool) -> ChangePage:
        """The change feed after ``cursor`` (ingest computes it; see ``MetadataStore.list_changes``)."""
        params = {"cursor": cursor, "limit": limit, "exclude_group": list(exclude_groups),
                  "exclude_pending": exclude_pending}
        return await self._call("GET", "/v1/changes", ChangePage, params=params)

    async def delete_media(self, media_id: str) -> None:
        await self._call("DELETE", f"/v1/media/{media_id}")

    async def record_classification(self, media_id: str, body: Classification) -> Media:
        """A pending media's classification (the retry worker); ingest regroups its burst."""
        return await self._call("PUT", f"/v1/media/{media_id}/classification", Media, body=body)

    async def record_failure(self, media_id: str, body: FailureIn) -> Media:
        return await self._call("PUT", f"/v1/media/{media_id}/failure", Media, body=body)

    async def lease(self, media_id: str, body: LeaseIn) -> Media | None:
        """Hold a pending media for a retry; None when another worker holds it or it is no
        longer pending (someone else finished it)."""
        try:
            return await self._call("POST", f"/v1/media/{media_id}/lease", Media, body=body)
        except UpstreamError as exc:
            if exc.code in (ErrorCode.LEASED, ErrorCode.NOT_PENDING, ErrorCode.MEDIA_NOT_FOUND):
                return None
            raise

    async def review(self, media_id: str, body: Review) -> Media:
        return await self._call("POST", f"/v1/media/{media_id}/review", Media, body=body)

    async def review_queue(self, *, sensitive_groups: list[Group], trap_id: str | None = None, limit: int = 20,
                           cursor: str | None = None) -> ReviewQueuePage:
        """A page of unreviewed bursts, possible sightings of ``sensitive_groups`` first."""
        params = {"sensitive_group": list(sensitive_groups), "trap_id": trap_id, "limit": limit, "cursor": cursor}
        return await self._call("GET", "/v1/review-queue", ReviewQueuePage, params=params)

    async def review_decisions(self, body: ReviewDecisions) -> ReviewDecisionResults:
        return await self._call("POST", "/v1/review-queue/decisions", ReviewDecisionResults, body=body)

    async def undo_reviews(self, body: ReviewUndo) -> ReviewUndoResults:
        return await self._call("POST", "/v1/review-queue/undo", ReviewUndoResults, body=body)

    async def pending(self, *, older_than_s: float, limit: int) -> MediaPage:
        """Pending media untouched for ``older_than_s``, oldest first (one page, no cursor)."""
        return await self._call("GET", "/v1/pending", MediaPage, params={"older_than_s": older_than_s, "limit": limit})

    async def pending_count(self) -> int:
        return (await self._call("GET", "/v1/pending/count", PendingCount)).pending

    # map and analytics ---------------------------------------------------------------
    async def map_traps(self, *, start: datetime | None = None, end: datetime | None = None,
                        group: Group | None = None) -> TrapCollection:
        return await self._call("GET", "/v1/map/traps", TrapCollection,
                                params={"from": _iso(start), "to": _iso(end), "group": group})

    async def heatmap(self, *, group: Group, start: datetime | None = None, end: datetime | None = None,
                      bbox: str | None = None, min_confidence: float | None = None) -> Heatmap:
        params = {"group": group, "from": _iso(start), "to": _iso(end), "bbox": bbox, "min_confidence": min_confidence}
        return await self._call("GET", "/v1/map/heatmap", Heatmap, params=params)

    async def monthly_heatmap(self, *, group: Group, from_month: str | None = None,
                              to_month: str | None = None) -> MonthlyHeatmap:
        params = {"group": group, "from_month": from_month, "to_month": to_month}
        return await self._call("GET", "/v1/map/heatmap/months", MonthlyHeatmap, params=params)

    async def analytics(self, *, trap_id: str | None = None, start: datetime | None = None,
                        end: datetime | None = None, exclude_groups: list[Group] | None = None) -> Analytics:
        return await self._call("GET", "/v1/analytics", Analytics,
                                params={"trap_id": trap_id, "from": _iso(start), "to": _iso(end),
                                        "exclude_group": list(exclude_groups or [])})

    # exports -------------------------------------------------------------------------
    @asynccontextmanager
    async def export_media(self, *, precision: ExportPrecision, trap_id: str | None = None,
                           groups: list[Group] | None = None, status: MediaStatus | None = None,
                           label: str | None = None, min_confidence: float | None = None,
                           start: datetime | None = None, end: datetime | None = None, reviewed_only: bool = False,
                           exclude_groups: list[Group] | None = None,
                           exclude_pending: bool = False) -> AsyncIterator[AsyncIterator[ExportItem]]:
        """The export rows, streamed: errors (an unknown trap, a bad query) are raised on
        entering, before any row; then the rows as ingest reads them, newest first."""
        params = {"precision": precision, "trap_id": trap_id, "group": list(groups or []), "status": status,
                  "label": label, "min_confidence": min_confidence,
                  "from": _iso(start), "to": _iso(end), "reviewed_only": str(reviewed_only).lower(),
                  "exclude_group": list(exclude_groups or []), "exclude_pending": exclude_pending}
        async with self._stream_lines("/v1/exports/media", params=params, read_timeout_s=self._timeout_s) as lines:
            yield (ExportItem.model_validate_json(line) async for line in lines)

    # outbox ------------------------------------------------------------------------
    async def pending_events(self, *, limit: int = 100) -> OutboxPage:
        return await self._call("GET", "/v1/events", OutboxPage, params={"limit": limit})

    async def ack_events(self, ids: list[str]) -> OutboxAcked:
        return await self._call("POST", "/v1/events/ack", OutboxAcked, body=OutboxAck(ids=ids))

    async def append_events(self, events: list[OutboxEvent]) -> OutboxAcked:
        return await self._call("POST", "/v1/events", OutboxAcked, body=OutboxPage(items=events))

    # batch jobs --------------------------------------------------------------------
    async def create_job(self, body: JobCreate) -> Job:
        return await self._call("POST", "/v1/jobs", Job, body=body)

    async def get_job(self, job_id: str) -> Job:
        """The job; ``UpstreamError`` 404 ``job_not_found``."""
        return await self._call("GET", f"/v1/jobs/{job_id}", Job)

    async def list_jobs(self, *, limit: int = 50) -> JobList:
        return await self._call("GET", "/v1/jobs", JobList, params={"limit": limit})

    async def cancel_job(self, job_id: str) -> Job:
        """Cancel; ``UpstreamError`` 409 ``job_finished`` when it has finished."""
        return await self._call("POST", f"/v1/jobs/{job_id}/cancel", Job)

    async def report_shard(self, job_id: str, report: ShardReport) -> Job:
        """One shard's counts (counted once per shard id, so a redelivered shard may report again)."""
        return await self._call("POST", f"/v1/jobs/{job_id}/shards", Job, body=report)
