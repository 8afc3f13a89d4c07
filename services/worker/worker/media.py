"""Finish one pending media (what the gateway's polling worker did per media): hold its
lease in ingest, read the original, classify it, record the answer.

A file whose classify call died mid-request (``classify_interrupted``: preprocess crashed,
hung or failed on it) is a suspect: it is classified alone, with nothing else of this
worker in flight (``Gate``). If it dies again alone, it is the cause and is failed for good
(``poison_file``) instead of taking preprocess down on every delivery."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum

from ailurus_common.clients.ingest import IngestClient
from ailurus_common.clients.preprocess import PreprocessClient, Rejected, Unavailable
from ailurus_common.contracts.ingest import Classification, FailureIn, LeaseIn
from ailurus_common.domain import MediaStatus
from ailurus_common.errors import ErrorCode
from ailurus_common.records import ErrorInfo, Media
from ailurus_common.storage.blob import BlobStore, original_location
from ailurus_common.storage.errors import NotFound


class Outcome(StrEnum):
    CLASSIFIED = "classified"
    REJECTED = "rejected"  # preprocess refused the image: failed, kept
    FAILED = "failed"  # the original is gone
    POISON = "poison"
    PENDING = "pending"  # an outage: try again later
    LEASED = "leased"  # another worker holds it now
    SETTLED = "settled"  # no longer pending (finished by someone else) or no record: nothing to do


class Gate:
    """Ordinary classify calls share it; a suspect's waits until it is alone (and holds off
    new ordinary ones meanwhile, so it is not starved)."""

    def __init__(self) -> None:
        self._cond = asyncio.Condition()
        self._shared = 0
        self._alone = False
        self._waiting_alone = 0

    @contextlib.asynccontextmanager
    async def shared(self) -> AsyncIterator[None]:
        async with self._cond:
            await self._cond.wait_for(lambda: not self._alone and not self._waiting_alone)
            self._shared += 1
        try:
            yield
        finally:
            async with self._cond:
                self._shared -= 1
                self._cond.notify_all()

    @contextlib.asynccontextmanager
    async def alone(self) -> AsyncIterator[None]:
        async with self._cond:
            self._waiting_alone += 1
            try:
                await self._cond.wait_for(lambda: not self._alone and not self._shared)
            finally:
                self._waiting_alone -= 1
            self._alone = True
        try:
            yield
        finally:
            async with self._cond:
                self._alone = False
                self._cond.notify_all()


@dataclass
class Result:
    outcome: Outcome
    media: Media | None = None  # the record as the lease saw it (its ``attempts``)


class MediaWork:
    """Runs one pending media through preprocess and ingest, exactly as an upload does."""

    def __init__(self, *, blobs: BlobStore, ingest: IngestClient, preprocess: PreprocessClient, holder: str,
                 lease_s: float) -> None:
        self.blobs, self.ingest, self.preprocess = blobs, ingest, preprocess
        self.holder = holder
        self.lease_s = lease_s
        self.gate = Gate()

    async def _fail(self, media: Media, code: ErrorCode, message: str, *, final: bool) -> None:
        await self.ingest.record_failure(media.id, FailureIn(error=ErrorInfo(code=code, message=message), final=final))

    async def finish(self, media_id: str, *, suspect: bool = False) -> Result:
        """Finish ``media_id`` if it is still pending. ``suspect``: classify it alone even if
        its record does not say it was interrupted (its last delivery's worker died)."""
        media = await self.ingest.lease(media_id, LeaseIn(holder=self.holder, duration_s=self.lease_s))
        if media is None:
            current = await self.ingest.find_media(media_id)
            settled = current is None or current.status is not MediaStatus.PENDING
            return Result(Outcome.SETTLED if settled else Outcome.LEASED, current)
        location = original_location(media.blob_original)
        try:
            if location is None:  # a record must point at an original, never elsewhere
                raise NotFound(f"{media.blob_original!r} is not an original's path")
            data = await self.blobs.get(*location)
        except NotFound:
            await self._fail(media, ErrorCode.ORIGINAL_MISSING, "the stored original is gone", final=True)
            return Result(Outcome.FAILED, media)
        alone = suspect or (media.error is not None and media.error.code is ErrorCode.CLASSIFY_INTERRUPTED)
        async with self.gate.alone() if alone else self.gate.shared():
            outcome = await self.preprocess.classify(data, media_id=media.id)
        if isinstance(outcome, Rejected):  # acknowledged earlier: kept, visible as failed
            await self._fail(media, outcome.code, outcome.message, final=True)
            return Result(Outcome.REJECTED, media)
        if isinstance(outcome, Unavailable):
            if outcome.interrupted and alone:
                await self._fail(media, ErrorCode.POISON_FILE,
                                 f"classifying it was interrupted twice, the second time alone: {outcome.message}",
                                 final=True)
                return Result(Outcome.POISON, media)
            code = ErrorCode.CLASSIFY_INTERRUPTED if outcome.interrupted else ErrorCode.CLASSIFIER_UNAVAILABLE
            await self._fail(media, code, outcome.message, final=False)
            return Result(Outcome.PENDING, media)
        # ingest groups the frame into its burst as it records it.
        await self.ingest.record_classification(media.id, Classification(
            exif=outcome.exif, prediction=outcome.prediction, blob_thumbnail=outcome.blob_thumbnail))
        return Result(Outcome.CLASSIFIED, media)

    async def fail_dead_letter(self, media_id: str, deliveries: int) -> bool:
        """A media whose message was dead-lettered (its worker died on it every time): failed
        for good if still pending. False when there was nothing to fail."""
        media = await self.ingest.find_media(media_id)
        if media is None or media.status is not MediaStatus.PENDING:
            return False
        await self._fail(media, ErrorCode.POISON_FILE,
                         f"the worker handling it stopped {deliveries} times without an answer", final=True)
        return True
