"""``MetadataStore`` on Azure Cosmos DB (NoSQL API) through ``azure.cosmos.aio``.

One container partitioned by ``/deployment_id`` holds three document types (``type``):
``deployment`` (its ``deployment_id`` is its own id), ``media``, and ``counter`` (id
``counter:<UTC day>``, ``counts`` {group: n}), so a trap and everything about it live in
one logical partition. Per-group counts come from the counters, kept on write: the SDK has
no GROUP BY against real Cosmos DB, and counting by reading every media is not an option.

A second container, the media index (partitioned by ``/id``), holds one claim per media id
(``{id, deployment_id, claimed_at}``). Ids are unique per partition only, so the claim is
what makes one bytes = one record across traps: creating it is atomic, and of two uploads
of the same bytes to different traps at once exactly one wins. It also turns "which trap
holds media X" into a point read, so reads and writes by id never fan out across
partitions (the answer never changes: a media never moves, so it is cached too).

The queries keep to what both real Cosmos DB and the local stand-in accept: a query meant
for one partition also filters ``deployment_id`` in WHERE (the stand-in ignores
``partition_key=``); no GROUP BY, OFFSET/LIMIT, DISTINCT or LIKE; paging is keyset
(``sort_key < @cursor ORDER BY sort_key DESC`` with TOP). Datetimes that queries compare
are stored as fixed-width UTC strings (the format of ``Media.sort_key``).

Outbox events are documents of type ``event`` in a partition of their own (``~outbox``,
which no trap id can be), written right after the change that causes them, as the
counters are: Cosmos DB's transactional batch is per partition and the stand-in has none,
so this is as close as the store allows. The window is one request: a crash between the
media write and the event write loses that event (the media change stands). Closing it
fully would stage the events inside the media document (one atomic replace) and sweep
them out; that is not done yet.
"""

import asyncio
import functools
import random
import ssl
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from azure.core import MatchConditions
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import AzureError
from azure.core.pipeline.transport import AioHttpTransport
from azure.cosmos import PartitionKey
from azure.cosmos.aio import ContainerProxy, CosmosClient, DatabaseProxy
from azure.cosmos.exceptions import (
    CosmosAccessConditionFailedError,
    CosmosHttpResponseError,
    CosmosResourceExistsError,
    CosmosResourceNotFoundError,
)
from azure.identity.aio import DefaultAzureCredential

from ailurus_common.contracts.events import OutboxEvent
from ailurus_common.contracts.ingest import DeletedMedia
from ailurus_common.contracts.jobs import Job, ShardReport, apply_shard, cancelled
from ailurus_common.domain import Group, MediaStatus
from ailurus_common.errors import ErrorCode
from ailurus_common.records import Deployment, Media, MediaFilter, utc_now
from ailurus_common.storage.errors import Conflict, NotFound, StorageError
from ingest.store.base import (
    FIRST_CHANGE_CURSOR,
    BatchEvents,
    ChangeEvents,
    CounterKey,
    CountsPer,
    Frame,
    MediaChange,
    change_key,
    counter_key,
    decode_change_cursor,
    decode_cursor,
    encode_change_cursor,
    encode_cursor,
    media_counter_key,
    parse_utc_text,
    utc_text,
)

_DEPLOYMENT_EXTRAS = frozenset({"type", "deployment_id"})
_MEDIA_EXTRAS = frozenset({"type", "sort_key", "change_key"})
_DELETE_CONCURRENCY = 16
_WRITE_CONCURRENCY = 16
_REPLACE_BACKOFF_S = 0.005
# A claim whose media is missing: a creator between its two writes, or one that died there.
# Younger than this it is waited for, older it is taken over.
_CLAIM_GRACE_S = 30.0
_CLAIM_WAIT_S = 2.0
_CLAIM_POLL_S = 0.05
_HOME_CACHE_SIZE = 100_000
_OUTBOX = "~outbox"  # the outbox partition: not a trap id (TRAP_ID_PATTERN)
_TOMBSTONE = "tombstone"
_JOBS = "~jobs"  # the batch jobs' partition: not a trap id either

P = ParamSpec("P")
R = TypeVar("R")


def _stored_key(doc: dict[str, Any]) -> CounterKey | None:
    return counter_key(doc["deployment_id"], doc["status"], doc.get("group"), doc["timestamp"])


def _media_doc(media: Media) -> dict[str, Any]:
    # change_key: stamped at each write attempt (an ETag retry stamps again), read by list_changes.
    return {**media.model_dump(mode="json"), "type": "media", "sort_key": media.sort_key,
            "change_key": change_key(utc_now(), media.id),
            "timestamp": utc_text(media.timestamp), "uploaded_at": utc_text(media.uploaded_at),
            "updated_at": utc_text(media.updated_at)}


def _deployment_doc(deployment: Deployment) -> dict[str, Any]:
    return {**deployment.model_dump(mode="json"), "type": "deployment", "deployment_id": deployment.id}


def _fields(doc: dict[str, Any], extras: frozenset[str]) -> dict[str, Any]:
    # Cosmos adds _rid, _self, _etag, _attachments, _ts; no record field starts with "_".
    return {key: value for key, value in doc.items() if not key.startswith("_") and key not in extras}


def _media(doc: dict[str, Any]) -> Media:
    return Media.model_validate(_fields(doc, _MEDIA_EXTRAS))


def _deployment(doc: dict[str, Any]) -> Deployment:
    return Deployment.model_validate(_fields(doc, _DEPLOYMENT_EXTRAS))


def _media_where(filters: MediaFilter) -> tuple[list[str], dict[str, Any]]:
    clauses = ["c.type = 'media'"]
    params: dict[str, Any] = {}
    # c["group"]: GROUP is a keyword of the query language.
    for clause, name, value in (
        ("c.deployment_id = @deployment_id", "@deployment_id", filters.deployment_id),
        ('c["group"] = @group', "@group", filters.group and str(filters.group)),
        ("c.label = @label", "@label", filters.label),
        ("c.status = @status", "@status", filters.status and str(filters.status)),
        ("c.timestamp >= @start", "@start", filters.start and utc_text(filters.start)),
        ("c.timestamp < @end", "@end", filters.end and utc_text(filters.end)),
        ("c.confidence >= @min_confidence", "@min_confidence", filters.min_confidence),
        ("c.confidence < @max_confidence", "@max_confidence", filters.max_confidence),
        ("c.capture_hour = @capture_hour", "@capture_hour", filters.capture_hour),
        ("c.model_key = @model_key", "@model_key", filters.model_key),
        ("c.review_state = @review_state", "@review_state", filters.review_state),
        ("c.sequence_id = @sequence_id", "@sequence_id", filters.sequence_id),
    ):
        if value is not None:
            clauses.append(clause)
            params[name] = value
    if filters.exclude_groups:
        # An unlabelled media has no group: ARRAY_CONTAINS is false for it, so it is kept.
        clauses.append('NOT ARRAY_CONTAINS(@exclude_groups, c["group"])')
        params["@exclude_groups"] = [str(g) for g in filters.exclude_groups]
    if filters.exclude_pending:
        clauses.append("c.status != @pending")
        params["@pending"] = str(MediaStatus.PENDING)
    if filters.groups:
        clauses.append('ARRAY_CONTAINS(@groups, c["group"])')
        params["@groups"] = [str(g) for g in filters.groups]
    if filters.reviewed_only:
        # ARRAY_CONTAINS, not IN: the stand-in and the service both take it, and an absent field is false.
        clauses.append("ARRAY_CONTAINS(@reviewed_states, c.review_state)")
        params["@reviewed_states"] = ["confirmed", "corrected"]
    if filters.unreviewed_only:
        # Records are written whole (review_state: null); IS_DEFINED keeps one written without it.
        clauses.append("(NOT IS_DEFINED(c.review_state) OR IS_NULL(c.review_state))")
    if filters.possible_groups:
        # Group values are the enum's own (checked by MediaFilter): safe as property names.
        groups = [str(Group(g)) for g in filters.possible_groups]
        alternatives = ['ARRAY_CONTAINS(@possible_groups, c["group"])']
        alternatives += [f'c.top_k_groups["{g}"] >= @possible_min_score' for g in groups]
        clauses.append(f"({' OR '.join(alternatives)})")
        params["@possible_groups"] = groups
        params["@possible_min_score"] = filters.possible_min_score
    return clauses, params


def _translate_errors(method: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Report SDK failures the cases above did not handle as ``StorageError`` (503)."""

    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(*args, **kwargs)
        except CosmosHttpResponseError as exc:
            raise StorageError(f"Cosmos DB answered {exc.status_code}: {exc.reason}", retry_after_s=1) from exc
        except AzureError as exc:
            raise StorageError(f"Cosmos DB unreachable: {exc.message}", retry_after_s=1) from exc

    return wrapper


def _transport() -> AioHttpTransport:
    # No proxy lookup: with azure-core's default (env settings on) aiohttp reads the proxy
    # variables and ~/.netrc on every request, a tenth of ingest's CPU under upload load
    # (py-spy). Pods reach Cosmos DB directly (private endpoint or service endpoint).
    return AioHttpTransport(use_env_settings=False)


class _PinnedCaTransport(AioHttpTransport):
    """Verifies the server against one CA file, with one SSL context for the client's life.

    Needed for the local stand-in: azure-cosmos 4.17 turns verification off for 127.0.0.1
    and localhost; with an ``ssl_config`` it instead hands azure-core its (None, None) client
    certificate pair, which ``load_cert_chain`` refuses, and it would build a fresh SSL
    context per request, so aiohttp never reuses a connection (measured 3.6x slower).
    """

    def __init__(self, ca_cert: Path) -> None:
        super().__init__(use_env_settings=False)  # see _transport()
        self._ssl_context = ssl.create_default_context(cafile=str(ca_cert))

    def _build_ssl_config(self, cert: Any, verify: Any) -> ssl.SSLContext:  # azure-core's per-request TLS hook
        return self._ssl_context


class CosmosMetadataStore:
    """Metadata in one Cosmos DB container.

    Args:
        endpoint: account URL, e.g. ``https://<account>.documents.azure.com:443/``.
        credential: the account key (emulator, stand-in) or a token credential; None builds
            ``DefaultAzureCredential`` (workload identity on AKS) and closes it with the store.
        database: database name (created if missing, where the credential may).
        container: container name (created if missing, partitioned by ``/deployment_id``).
        ca_cert: CA file that signed the server's certificate (the local stand-in).
        endpoint_discovery: False for a stand-in or emulator that is not a real account.
        index_container: the media index container (created if missing, partitioned by ``/id``).
        max_replace_attempts: ETag retries of ``update_media`` and ``delete_media`` under
            concurrent writes.
        claim_grace_s: a media id claimed this long ago whose record is missing belongs to a
            creator that died between its two writes: a new create takes the claim over.
        change_settle_s: the change feed reads only changes stamped at least this long ago.
            Writers stamp before they write, from several replicas' clocks, so a change can
            become visible after a later-stamped one; this must exceed the longest write plus
            the clock skew between ingest replicas, or a change could be missed.
    """

    def __init__(self, endpoint: str, credential: str | AsyncTokenCredential | None = None, *,
                 database: str = "ailurus", container: str = "metadata", index_container: str = "media-index",
                 ca_cert: Path | None = None, endpoint_discovery: bool = True, max_replace_attempts: int = 20,
                 claim_grace_s: float = _CLAIM_GRACE_S, change_settle_s: float = 5.0) -> None:
        self.change_settle_s = change_settle_s
        self.endpoint = endpoint
        self.database_name = database
        self.container_name = container
        self.index_container_name = index_container
        self.claim_grace_s = claim_grace_s
        self.ca_cert = ca_cert
        self.endpoint_discovery = endpoint_discovery
        self.max_replace_attempts = max_replace_attempts
        self._credential = credential
        self._owned_credential: DefaultAzureCredential | None = None
        self._client: CosmosClient | None = None
        self.database: DatabaseProxy | None = None
        self._container: ContainerProxy | None = None
        self._index: ContainerProxy | None = None
        # media id -> deployment id: immutable facts, so a cache never goes stale (a deleted
        # media is simply not found in its partition).
        self._homes: dict[str, str] = {}

    async def start(self) -> None:
        credential = self._credential
        if credential is None:
            credential = self._owned_credential = DefaultAzureCredential()
        transport = _PinnedCaTransport(self.ca_cert) if self.ca_cert is not None else _transport()
        self._client = CosmosClient(self.endpoint, credential=credential, transport=transport,
                                    enable_endpoint_discovery=self.endpoint_discovery)
        try:
            await self._client.__aenter__()  # reads the account, as ``async with`` would
            self.database = await self._client.create_database_if_not_exists(self.database_name)
            self._container = await self.database.create_container_if_not_exists(
                self.container_name, partition_key=PartitionKey(path="/deployment_id"))
            self._index = await self.database.create_container_if_not_exists(
                self.index_container_name, partition_key=PartitionKey(path="/id"))
        except AzureError as exc:
            await self.close()  # a failed start would otherwise leave the HTTP session open
            raise StorageError(f"Cosmos DB at {self.endpoint} is not usable: {exc.message}") from exc

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self._owned_credential is not None:
            await self._owned_credential.close()
        self._client = self.database = self._container = self._index = self._owned_credential = None

    async def is_ready(self) -> bool:
        try:
            await self._c.read()
        except (AzureError, StorageError):
            return False
        return True

    # plumbing ----------------------------------------------------------------------
    @property
    def _c(self) -> ContainerProxy:
        if self._container is None:
            raise StorageError("metadata store is not started")
        return self._container

    @property
    def _i(self) -> ContainerProxy:
        if self._index is None:
            raise StorageError("metadata store is not started")
        return self._index

    async def _query(self, sql: str, params: dict[str, Any], *, partition: str | None = None) -> list[Any]:
        """All results of a query; ``partition`` routes it to one partition on real Cosmos DB
        (the WHERE clause must filter ``deployment_id`` as well for the stand-in)."""
        parameters = [{"name": name, "value": value} for name, value in params.items()]
        routing = {"partition_key": partition} if partition is not None else {}
        return [item async for item in self._c.query_items(sql, parameters=parameters, **routing)]

    async def _count(self, sql: str, params: dict[str, Any], *, partition: str | None = None) -> int:
        # Cross-partition COUNT may come back as one partial count per partition.
        return sum(await self._query(sql, params, partition=partition))

    async def _adjust(self, old: CounterKey | None, new: CounterKey | None) -> None:
        if old == new:
            return
        for key, delta in ((old, -1), (new, 1)):
            if key is not None:
                await self._increment(key, delta)

    async def _increment(self, key: CounterKey, delta: int) -> None:
        deployment_id, day, group = key
        counter_id = f"counter:{day}"
        operations = [{"op": "incr", "path": f"/counts/{group}", "value": delta}]
        try:
            await self._c.patch_item(counter_id, deployment_id, operations)
            return
        except CosmosResourceNotFoundError:
            pass
        try:
            # Every group present from the start: incr on a missing path is not needed.
            await self._c.create_item({"id": counter_id, "deployment_id": deployment_id, "type": "counter",
                                       "day": day, "counts": {g.value: 0 for g in Group}})
        except CosmosResourceExistsError:
            pass  # a concurrent writer created it first
        await self._c.patch_item(counter_id, deployment_id, operations)

    # deployments -------------------------------------------------------------------
    @_translate_errors
    async def create_deployment(self, deployment: Deployment) -> None:
        try:
            await self._c.create_item(_deployment_doc(deployment))
        except CosmosResourceExistsError:
            raise Conflict(f"deployment {deployment.id!r} exists") from None

    @_translate_errors
    async def get_deployment(self, deployment_id: str) -> Deployment | None:
        try:
            doc = await self._c.read_item(deployment_id, partition_key=deployment_id)
        except CosmosResourceNotFoundError:
            return None
        return _deployment(doc) if doc.get("type") == "deployment" else None

    @_translate_errors
    async def list_deployments(self) -> list[Deployment]:
        docs = await self._query("SELECT * FROM c WHERE c.type = 'deployment' ORDER BY c.id", {})
        return [_deployment(doc) for doc in docs]

    @_translate_errors
    async def replace_deployment(self, deployment: Deployment) -> None:
        try:
            await self._c.replace_item(deployment.id, _deployment_doc(deployment))
        except CosmosResourceNotFoundError:
            raise NotFound(f"deployment {deployment.id!r} not found") from None

    @_translate_errors
    async def delete_deployment(self, deployment_id: str) -> bool:
        if await self.get_deployment(deployment_id) is None:
            return False
        docs = await self._query(
            'SELECT c.id, c.type, c.status, c["group"] FROM c WHERE c.deployment_id = @deployment_id '
            "AND c.type IN ('media', 'counter')",
            {"@deployment_id": deployment_id}, partition=deployment_id)
        ids = [doc["id"] for doc in docs]
        slots = asyncio.Semaphore(_DELETE_CONCURRENCY)

        async def delete(item_id: str) -> None:
            async with slots:
                try:
                    await self._c.delete_item(item_id, partition_key=deployment_id)
                except CosmosResourceNotFoundError:
                    pass

        await asyncio.gather(*(delete(item_id) for item_id in ids))

        async def release(media_id: str) -> None:
            async with slots:
                await self._release(media_id, deployment_id)

        # After the records (a claim without its record is taken over by the next create).
        await asyncio.gather(*(release(doc["id"]) for doc in docs if doc["type"] == "media"))

        async def tombstone(doc: dict[str, Any]) -> None:
            async with slots:
                await self._tombstone({**doc, "deployment_id": deployment_id})

        await asyncio.gather(*(tombstone(doc) for doc in docs if doc["type"] == "media"))
        # The deployment goes last: if this is interrupted, a retry still finds it and finishes.
        await delete(deployment_id)
        return True

    # the media index --------------------------------------------------------------
    def _remember(self, media_id: str, deployment_id: str) -> None:
        if len(self._homes) >= _HOME_CACHE_SIZE:
            self._homes.clear()  # a bound, not an LRU: a miss costs one point read
        self._homes[media_id] = deployment_id

    async def _read_claim(self, media_id: str) -> dict[str, Any] | None:
        try:
            return await self._i.read_item(media_id, partition_key=media_id)
        except CosmosResourceNotFoundError:
            return None

    async def _media_in(self, media_id: str, deployment_id: str) -> dict[str, Any] | None:
        try:
            doc = await self._c.read_item(media_id, partition_key=deployment_id)
        except CosmosResourceNotFoundError:
            return None
        return doc if doc.get("type") == "media" else None

    async def _read_media_doc(self, media_id: str) -> dict[str, Any] | None:
        """The stored media document by id: two point reads at most, one when its trap is known."""
        cached = self._homes.get(media_id)
        if cached is not None and (doc := await self._media_in(media_id, cached)) is not None:
            return doc
        # Not cached, or deleted there and perhaps uploaded again to another trap since.
        self._homes.pop(media_id, None)
        claim = await self._read_claim(media_id)
        if claim is None:
            return None
        self._remember(media_id, claim["deployment_id"])
        return await self._media_in(media_id, claim["deployment_id"])

    async def _claim(self, media: Media) -> bool:
        """Claim ``media.id`` for its trap. False when the id belongs to a stored record (a
        duplicate); True when this create may go ahead (its own trap's create_item then
        settles a race within that trap). ``StorageError`` (503 ``write_contention``) when
        another trap's create holds the claim and neither finishes nor times out meanwhile:
        answering "duplicate" then could point at a record that never comes to exist."""
        claim = {"id": media.id, "deployment_id": media.deployment_id, "claimed_at": time.time()}
        deadline = time.monotonic() + _CLAIM_WAIT_S
        while True:
            try:
                await self._i.create_item(claim)
                self._remember(media.id, media.deployment_id)
                return True
            except CosmosResourceExistsError:
                pass
            held = await self._read_claim(media.id)
            if held is None:
                continue  # released meanwhile: claim again
            if held["deployment_id"] == media.deployment_id:
                self._remember(media.id, media.deployment_id)
                return True
            if await self._media_in(media.id, held["deployment_id"]) is not None:
                return False
            if time.time() - held["claimed_at"] > self.claim_grace_s:
                # Its record is gone (deleted, or its creator died before writing it): take it over.
                try:
                    await self._i.replace_item(media.id, claim, etag=held["_etag"],
                                               match_condition=MatchConditions.IfNotModified)
                except (CosmosAccessConditionFailedError, CosmosResourceNotFoundError):
                    continue  # another create took it over or it was released: look again
                self._remember(media.id, media.deployment_id)
                return True
            if time.monotonic() > deadline:
                raise StorageError(f"media {media.id} is being recorded by another upload",
                                   code=ErrorCode.WRITE_CONTENTION, retry_after_s=1)
            await asyncio.sleep(_CLAIM_POLL_S)

    async def _release(self, media_id: str, deployment_id: str) -> None:
        """Drop the claim of a deleted media, unless another trap has taken it over since."""
        self._homes.pop(media_id, None)
        held = await self._read_claim(media_id)
        if held is None or held["deployment_id"] != deployment_id:
            return
        try:
            await self._i.delete_item(media_id, partition_key=media_id, etag=held["_etag"],
                                      match_condition=MatchConditions.IfNotModified)
        except (CosmosResourceNotFoundError, CosmosAccessConditionFailedError):
            pass  # released or taken over concurrently: either way not ours to drop

    async def _create(self, media: Media) -> bool:
        if not await self._claim(media):
            return False
        try:
            await self._c.create_item(_media_doc(media))
        except CosmosResourceExistsError:
            return False
        return True

    # media -------------------------------------------------------------------------
    @_translate_errors
    async def create_media(self, media: Media) -> bool:
        if not await self._create(media):
            return False
        await self._adjust(None, media_counter_key(media))
        return True

    @_translate_errors
    async def create_media_batch(self, media: list[Media], *, events: BatchEvents | None = None) -> list[bool]:
        limiter = asyncio.Semaphore(_WRITE_CONCURRENCY)
        first: dict[str, int] = {}
        for index, item in enumerate(media):
            first.setdefault(item.id, index)

        async def create(index: int, item: Media) -> bool:
            if first[item.id] != index:  # the same bytes twice in this batch
                return False
            async with limiter:
                return await self._create(item)

        created = list(await asyncio.gather(*(create(i, m) for i, m in enumerate(media))))
        # One patch per counter, not per frame: an upload's frames mostly share one day.
        deltas: dict[CounterKey, int] = {}
        for item, ok in zip(media, created, strict=True):
            if ok and (key := media_counter_key(item)) is not None:
                deltas[key] = deltas.get(key, 0) + 1
        await asyncio.gather(*(self._increment(key, delta) for key, delta in deltas.items()))
        if events is not None:
            await self._outbox(events([m for m, ok in zip(media, created, strict=True) if ok]))
        return created

    @_translate_errors
    async def get_media(self, media_id: str) -> Media | None:
        doc = await self._read_media_doc(media_id)
        return _media(doc) if doc is not None else None

    @_translate_errors
    async def update_media(self, media_id: str, change: MediaChange, *,
                           events: ChangeEvents | None = None) -> Media | None:
        for attempt in range(self.max_replace_attempts):
            stored = await self._read_media_doc(media_id)
            if stored is None:
                return None
            current = _media(stored)
            updated = change(current)
            if updated is current:
                return current
            if updated.id != current.id or updated.deployment_id != current.deployment_id:
                raise ValueError("update_media cannot move a media to another id or trap")
            try:
                # The ETag of what change() read: the write loses if anyone wrote since.
                await self._c.replace_item(media_id, _media_doc(updated), etag=stored["_etag"],
                                           match_condition=MatchConditions.IfNotModified)
            except CosmosResourceNotFoundError:
                return None  # deleted meanwhile
            except CosmosAccessConditionFailedError:
                await asyncio.sleep(random.uniform(0, _REPLACE_BACKOFF_S * (attempt + 1)))
                continue
            # Not atomic with the replace (the stand-in has no transactional batch): a crash
            # between the two leaves this delta out until reconcile_counters recounts the day.
            await self._adjust(_stored_key(stored), media_counter_key(updated))
            if events is not None:
                await self._outbox(events(current, updated))
            return updated
        raise StorageError(f"media {media_id!r} changed concurrently {self.max_replace_attempts} times",
                           code=ErrorCode.WRITE_CONTENTION, retry_after_s=1)

    @_translate_errors
    async def delete_media(self, media_id: str) -> bool:
        for attempt in range(self.max_replace_attempts):
            stored = await self._read_media_doc(media_id)
            if stored is None:
                return False
            try:
                await self._c.delete_item(media_id, partition_key=stored["deployment_id"], etag=stored["_etag"],
                                          match_condition=MatchConditions.IfNotModified)
            except CosmosResourceNotFoundError:
                return False  # a concurrent delete got there first and took the counter with it
            except CosmosAccessConditionFailedError:
                # Replaced between our read and delete: re-read, so the counter delta is taken
                # against the state we actually delete.
                await asyncio.sleep(random.uniform(0, _REPLACE_BACKOFF_S * (attempt + 1)))
                continue
            # Not atomic with the delete, as in update_media.
            await self._adjust(_stored_key(stored), None)
            await self._release(media_id, stored["deployment_id"])
            await self._tombstone(stored)
            return True
        raise StorageError(f"media {media_id!r} changed concurrently {self.max_replace_attempts} times",
                           code=ErrorCode.WRITE_CONTENTION, retry_after_s=1)

    async def _tombstone(self, stored: dict[str, Any]) -> None:
        """The change feed's record of a deletion (one per media id: its latest deletion), in
        the trap's partition; only the feed reads ``tombstone`` documents."""
        gone = DeletedMedia(id=stored["id"], deployment_id=stored["deployment_id"], deleted_at=utc_now(),
                            status=stored["status"], group=stored.get("group"))
        await self._c.upsert_item({"id": f"{_TOMBSTONE}:{gone.id}", "type": _TOMBSTONE,
                                   "deployment_id": gone.deployment_id, "status": str(gone.status),
                                   "group": gone.group and str(gone.group),
                                   "change_key": change_key(gone.deleted_at, gone.id),
                                   "media": gone.model_dump(mode="json")})

    # batch jobs --------------------------------------------------------------------
    @_translate_errors
    async def create_job(self, job: Job) -> None:
        try:
            await self._c.create_item({"id": f"job:{job.id}", "type": "job", "deployment_id": _JOBS,
                                       "created_at": utc_text(job.created_at), "job": job.model_dump(mode="json"),
                                       "shards": []})
        except CosmosResourceExistsError:
            raise Conflict(f"job {job.id!r} exists") from None

    async def _read_job_doc(self, job_id: str) -> dict[str, Any] | None:
        try:
            return await self._c.read_item(f"job:{job_id}", partition_key=_JOBS)
        except CosmosResourceNotFoundError:
            return None

    @_translate_errors
    async def get_job(self, job_id: str) -> Job | None:
        doc = await self._read_job_doc(job_id)
        return Job.model_validate(doc["job"]) if doc is not None else None

    @_translate_errors
    async def list_jobs(self, *, limit: int) -> list[Job]:
        docs = await self._query("SELECT TOP @top * FROM c WHERE c.deployment_id = @jobs AND c.type = 'job' "
                                 "ORDER BY c.created_at DESC", {"@top": limit, "@jobs": _JOBS}, partition=_JOBS)
        return [Job.model_validate(doc["job"]) for doc in docs]

    async def _replace_job(self, job_id: str, change: Callable[[dict[str, Any]], dict[str, Any] | None],
                           ) -> Job | None:
        """Optimistic update of a job document, as ``update_media``: ``change`` computes the
        new document from the stored one (None: write nothing), retried on ETag conflicts."""
        for attempt in range(self.max_replace_attempts):
            stored = await self._read_job_doc(job_id)
            if stored is None:
                return None
            updated = change(stored)
            if updated is None:
                return Job.model_validate(stored["job"])
            try:
                await self._c.replace_item(stored["id"], updated, etag=stored["_etag"],
                                           match_condition=MatchConditions.IfNotModified)
            except CosmosAccessConditionFailedError:
                await asyncio.sleep(random.uniform(0, _REPLACE_BACKOFF_S * (attempt + 1)))
                continue
            return Job.model_validate(updated["job"])
        raise StorageError(f"job {job_id!r} changed concurrently {self.max_replace_attempts} times",
                           code=ErrorCode.WRITE_CONTENTION, retry_after_s=1)

    @_translate_errors
    async def cancel_job(self, job_id: str) -> Job | None:
        def change(doc: dict[str, Any]) -> dict[str, Any]:
            job = Job.model_validate(doc["job"])
            if job.finished:
                raise StorageError(f"job {job_id!r} is {job.status}", code=ErrorCode.JOB_FINISHED, status_code=409)
            return {**_fields(doc, frozenset()), "job": cancelled(job, now=utc_now()).model_dump(mode="json")}

        return await self._replace_job(job_id, change)

    @_translate_errors
    async def report_shard(self, job_id: str, report: ShardReport) -> Job | None:
        # The shard ids counted live in the job document itself: the mark and the counts are
        # one replace, so a report delivered twice finds its mark and adds nothing.
        def change(doc: dict[str, Any]) -> dict[str, Any] | None:
            if report.shard_id in doc["shards"]:
                return None
            job = apply_shard(Job.model_validate(doc["job"]), report, now=utc_now())
            return {**_fields(doc, frozenset()), "job": job.model_dump(mode="json"),
                    "shards": [*doc["shards"], report.shard_id]}

        return await self._replace_job(job_id, change)

    # outbox ------------------------------------------------------------------------
    async def _outbox(self, events: list[OutboxEvent]) -> None:
        async def put(event: OutboxEvent) -> None:
            try:
                await self._c.create_item({"id": f"event:{event.id}", "type": "event", "deployment_id": _OUTBOX,
                                           "recorded_at": utc_text(event.time), "event": event.model_dump(mode="json")})
            except CosmosResourceExistsError:
                pass  # recorded before: kept as it is

        await asyncio.gather(*(put(e) for e in events))

    @_translate_errors
    async def append_events(self, events: list[OutboxEvent]) -> None:
        await self._outbox(events)

    @_translate_errors
    async def pending_events(self, *, limit: int) -> list[OutboxEvent]:
        docs = await self._query("SELECT TOP @top * FROM c WHERE c.deployment_id = @outbox AND c.type = 'event' "
                                 "ORDER BY c.recorded_at", {"@top": limit, "@outbox": _OUTBOX}, partition=_OUTBOX)
        return [OutboxEvent.model_validate(doc["event"]) for doc in docs]

    @_translate_errors
    async def ack_events(self, ids: list[str]) -> int:
        async def delete(event_id: str) -> int:
            try:
                await self._c.delete_item(f"event:{event_id}", partition_key=_OUTBOX)
            except CosmosResourceNotFoundError:
                return 0
            return 1

        return sum(await asyncio.gather(*(delete(i) for i in ids)))

    @_translate_errors
    async def list_media(self, filters: MediaFilter, *, limit: int,
                         cursor: str | None = None) -> tuple[list[Media], str | None]:
        if limit < 1:
            raise StorageError("limit must be at least 1", code=ErrorCode.INVALID_LIMIT, status_code=400)
        clauses, params = _media_where(filters)
        if cursor is not None:
            clauses.append("c.sort_key < @cursor")
            params["@cursor"] = decode_cursor(cursor)
        # One more than asked tells whether a next page exists.
        params["@top"] = limit + 1
        docs = await self._query(f"SELECT TOP @top * FROM c WHERE {' AND '.join(clauses)} ORDER BY c.sort_key DESC",
                                 params, partition=filters.deployment_id)
        page = docs[:limit]
        next_cursor = encode_cursor(page[-1]["sort_key"]) if len(docs) > limit else None
        return [_media(doc) for doc in page], next_cursor

    @_translate_errors
    async def list_changes(self, *, after: str | None, limit: int, exclude_groups: list[Group],
                           exclude_pending: bool) -> tuple[list[Media | DeletedMedia], str]:
        if limit < 1:
            raise StorageError("limit must be at least 1", code=ErrorCode.INVALID_LIMIT, status_code=400)
        clauses, params = _media_where(MediaFilter(exclude_groups=exclude_groups, exclude_pending=exclude_pending))
        # Tombstones carry the fields the filter reads (group, status): one query reads both kinds.
        clauses[0] = "ARRAY_CONTAINS(@change_types, c.type)"
        params["@change_types"] = ["media", _TOMBSTONE]
        horizon = utc_now() - timedelta(seconds=self.change_settle_s)
        clauses += ["c.change_key > @after", "c.change_key < @horizon"]
        params |= {"@after": decode_change_cursor(after or FIRST_CHANGE_CURSOR),
                   "@horizon": change_key(horizon, "0" * 64), "@top": limit}
        docs = await self._query(f"SELECT TOP @top * FROM c WHERE {' AND '.join(clauses)} ORDER BY c.change_key",
                                 params)
        cursor = encode_change_cursor(docs[-1]["change_key"]) if docs else after or FIRST_CHANGE_CURSOR
        return [DeletedMedia.model_validate(doc["media"]) if doc["type"] == _TOMBSTONE else _media(doc)
                for doc in docs], cursor

    @_translate_errors
    async def list_pending(self, *, updated_before: datetime, limit: int) -> list[Media]:
        docs = await self._query(
            "SELECT TOP @top * FROM c WHERE c.type = 'media' AND c.status = @status AND c.updated_at < @before "
            "ORDER BY c.updated_at",
            {"@top": limit, "@status": str(MediaStatus.PENDING), "@before": utc_text(updated_before)})
        return [_media(doc) for doc in docs]

    @_translate_errors
    async def frames_near(self, deployment_id: str, start: datetime, end: datetime) -> list[Frame]:
        docs = await self._query(
            "SELECT c.id, c.timestamp, c.sequence_id FROM c WHERE c.type = 'media' "
            "AND c.deployment_id = @deployment_id AND c.status = 'classified' "
            "AND c.timestamp >= @start AND c.timestamp <= @end ORDER BY c.sort_key",
            {"@deployment_id": deployment_id, "@start": utc_text(start), "@end": utc_text(end)},
            partition=deployment_id)
        return [Frame(doc["id"], parse_utc_text(doc["timestamp"]), doc.get("sequence_id")) for doc in docs]

    # aggregates --------------------------------------------------------------------
    @_translate_errors
    async def group_counts(self, *, deployment_id: str | None = None, start_day: date | None = None,
                           end_day: date | None = None, per: CountsPer = "deployment",
                           ) -> dict[str, dict[Group, int]]:
        clauses = ["c.type = 'counter'"]
        params: dict[str, Any] = {}
        for clause, name, value in (("c.deployment_id = @deployment_id", "@deployment_id", deployment_id),
                                    ("c.day >= @start_day", "@start_day", start_day and start_day.isoformat()),
                                    ("c.day <= @end_day", "@end_day", end_day and end_day.isoformat())):
            if value is not None:
                clauses.append(clause)
                params[name] = value
        docs = await self._query(f"SELECT c.deployment_id, c.day, c.counts FROM c WHERE {' AND '.join(clauses)}",
                                 params, partition=deployment_id)
        totals: dict[str, dict[Group, int]] = {}
        for doc in docs:
            key = {"day": doc["day"], "deployment": doc["deployment_id"],
                   "deployment_day": f"{doc['deployment_id']}/{doc['day']}"}[per]
            per_group = totals.setdefault(key, {})
            for group, count in doc["counts"].items():
                per_group[Group(group)] = per_group.get(Group(group), 0) + count
        counts = {trap: {group: n for group, n in sorted(per_group.items()) if n > 0}
                  for trap, per_group in sorted(totals.items())}
        return {trap: per_group for trap, per_group in counts.items() if per_group}

    @_translate_errors
    async def model_keys(self) -> list[str]:
        keys: list[str] = []
        while True:  # no DISTINCT on Cosmos: walk the sorted keys one TOP 1 query at a time
            after = {"@after": keys[-1]} if keys else {}
            condition = " AND c.model_key > @after" if keys else ""
            found = await self._query("SELECT TOP 1 VALUE c.model_key FROM c WHERE c.type = 'media' "
                                      f"AND IS_STRING(c.model_key){condition} ORDER BY c.model_key", after,
                                      partition=None)
            if not found:
                return keys
            keys.append(found[0])

    @_translate_errors
    async def count_media(self, filters: MediaFilter) -> int:
        clauses, params = _media_where(filters)
        return await self._count(f"SELECT VALUE COUNT(1) FROM c WHERE {' AND '.join(clauses)}", params,
                                 partition=filters.deployment_id)

    @_translate_errors
    async def reconcile_counters(self, *, since: datetime, until: datetime) -> int:
        # The counters change in a second write after the media (no transactional batch on
        # the stand-in): a crash between the two leaves a day's counter off by that change.
        # Every write stamps the document's _ts, so the days written in the window are found
        # and recounted from their media; run over windows that have settled (no write still
        # between its two halves), this makes every counter exact again.
        touched = await self._query(
            "SELECT c.deployment_id, c.type, c.timestamp, c.day FROM c WHERE c._ts >= @since AND c._ts < @until "
            "AND (c.type = 'media' OR c.type = 'counter')",
            {"@since": int(since.timestamp()), "@until": int(until.timestamp())})
        days = sorted({(doc["deployment_id"], doc["day"] if doc["type"] == "counter" else doc["timestamp"][:10])
                       for doc in touched})
        corrected = 0
        for deployment_id, day in days:
            corrected += await self._recount(deployment_id, day)
        return corrected

    async def _recount(self, deployment_id: str, day: str) -> int:
        """Set one counter to what its media say; 1 if it was wrong. A counter written
        meanwhile is left alone (its new _ts puts it in the next window)."""
        groups = await self._query(
            'SELECT VALUE c["group"] FROM c WHERE c.type = \'media\' AND c.deployment_id = @deployment_id '
            "AND c.status = @status AND c.timestamp >= @start AND c.timestamp < @end",
            {"@deployment_id": deployment_id, "@status": str(MediaStatus.CLASSIFIED),
             "@start": day, "@end": (date.fromisoformat(day) + timedelta(days=1)).isoformat()},
            partition=deployment_id)
        counts = {g.value: 0 for g in Group}
        for group in groups:
            if group is not None:
                counts[group] += 1
        counter_id = f"counter:{day}"
        try:
            stored = await self._c.read_item(counter_id, partition_key=deployment_id)
        except CosmosResourceNotFoundError:
            stored = None
        if stored is not None and {g: stored["counts"].get(g, 0) for g in counts} == counts:
            return 0
        if stored is None and not any(counts.values()):
            return 0
        doc = {"id": counter_id, "deployment_id": deployment_id, "type": "counter", "day": day, "counts": counts}
        try:
            if stored is None:
                await self._c.create_item(doc)
            else:
                await self._c.replace_item(counter_id, doc, etag=stored["_etag"],
                                           match_condition=MatchConditions.IfNotModified)
        except (CosmosResourceExistsError, CosmosAccessConditionFailedError, CosmosResourceNotFoundError):
            return 0
        return 1
