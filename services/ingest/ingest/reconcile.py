"""The background pass that keeps the daily counters exact where a backend cannot change
them in the media's own transaction (Cosmos DB: see ``CosmosMetadataStore.reconcile_counters``)."""

import asyncio
import logging
from datetime import timedelta

from ailurus_common.errors import AilurusError
from ailurus_common.records import utc_now
from ingest.metrics import COUNTERS_CORRECTED
from ingest.store.base import MetadataStore

log = logging.getLogger(__name__)


async def reconcile_forever(store: MetadataStore, *, interval_s: float, settle_s: float, lookback_s: float) -> None:
    """Every ``interval_s``, recount the counters written since the last pass, up to
    ``settle_s`` ago (a write still between its media and its counter is not judged). The
    first pass looks back ``lookback_s``: a crash before this start is corrected too."""
    since = utc_now() - timedelta(seconds=lookback_s)
    while True:
        until = utc_now() - timedelta(seconds=settle_s)
        if until > since:
            try:
                corrected = await store.reconcile_counters(since=since, until=until)
            except AilurusError as exc:  # the store is down: the same window is tried again
                log.warning("counter reconcile failed, will retry: %s", exc.message)
            else:
                since = until
                if corrected:
                    COUNTERS_CORRECTED.inc(corrected)
                    log.warning("recounted %d daily counters a cut write had left wrong", corrected)
        await asyncio.sleep(interval_s)
