"""worker app factory and lifespan: the consumer loops run beside a small HTTP side
(/healthz, /readyz, /metrics)."""

import asyncio
import contextlib
import os
import socket
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI

from ailurus_common.auth.service import ServiceTokens
from ailurus_common.clients.ingest import IngestClient
from ailurus_common.clients.preprocess import PreprocessClient
from ailurus_common.logging import configure_logging
from ailurus_common.service_app import create_service_app
from worker.api.routes import health
from worker.config import WorkerSettings, get_settings
from worker.consumer import Consumer
from worker.media import MediaWork
from worker.metrics import JOBS_BACKLOG
from worker.ratelimit import TokenBucket
from worker.reclassify import Reclassifier
from worker.shards import ShardConsumer, ShardWork

SERVICE = "worker"
BACKLOG_INTERVAL_S = 5.0  # how often the queue length gauge is refreshed


def holder_name() -> str:
    """Who holds a lease: this process (several worker pods share one queue)."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


@dataclass
class Runtime:
    """The consumers and what they were built from (closed together)."""

    consumer: Consumer
    shards: ShardConsumer
    tokens: ServiceTokens

    async def close(self) -> None:
        work = self.consumer.work
        await work.ingest.close()
        await work.preprocess.close()
        await self.consumer.blobs.close()
        await self.consumer.queue.close()
        await self.shards.queue.close()
        await self.tokens.close()


def build_runtime(settings: WorkerSettings) -> Runtime:
    """The consumer with its clients (no I/O yet)."""
    tokens = ServiceTokens(settings)
    ingest = IngestClient(settings.ingest_url, timeout_s=settings.ingest_timeout_s, tokens=tokens)
    preprocess = PreprocessClient(settings.preprocess_url, timeout_s=settings.preprocess_timeout_s,
                                  max_connections=settings.concurrency * 2, tokens=tokens)
    blobs = settings.open_blob_store()
    # Longer than one try can take, so a lease (and the message's invisibility) never ends under a live one.
    lease_s = settings.preprocess_timeout_s + 2 * settings.ingest_timeout_s + settings.lease_margin_s
    work = MediaWork(blobs=blobs, ingest=ingest, preprocess=preprocess, holder=holder_name(), lease_s=lease_s)
    shards = ShardConsumer(settings.open_work_queue(settings.queue_jobs_name),
                           ShardWork(work, Reclassifier(work, TokenBucket(settings.reclassify_rate_per_s,
                                                                          burst=settings.reclassify_burst)),
                                     max_file_bytes=settings.job_max_file_bytes,
                                     concurrency=settings.job_concurrency, cancel_check_s=settings.job_cancel_check_s),
                           visibility_timeout_s=settings.job_visibility_timeout_s,
                           poll_interval_s=settings.poll_interval_s, retry_delay_s=settings.job_retry_delay_s,
                           orphan_after_s=settings.job_orphan_after_s)
    return Runtime(Consumer(settings.open_work_queue(settings.queue_pending_name), work, blobs, settings), shards,
                   tokens)


def create_app(settings: WorkerSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        configure_logging(SERVICE, level=settings.log_level, json_lines=settings.log_json)
        runtime = build_runtime(settings)
        consumer = app.state.consumer = runtime.consumer
        await consumer.blobs.ensure_containers()
        await consumer.queue.ensure()
        shards = runtime.shards
        await shards.queue.ensure()

        async def observe_jobs_backlog() -> None:
            JOBS_BACKLOG.set(await shards.queue.approximate_length())

        loops = [asyncio.create_task(consumer.run_forever()),
                 asyncio.create_task(shards.run_forever()),
                 asyncio.create_task(consumer.every(settings.dead_letter_interval_s, shards.read_dead_letters,
                                                    "job dead letters")),
                 asyncio.create_task(consumer.every(BACKLOG_INTERVAL_S, observe_jobs_backlog, "jobs backlog")),
                 asyncio.create_task(consumer.every(settings.dead_letter_interval_s, consumer.read_dead_letters,
                                                    "dead letters")),
                 asyncio.create_task(consumer.every(settings.sweep_interval_s, consumer.sweep, "sweep")),
                 asyncio.create_task(consumer.every(BACKLOG_INTERVAL_S, consumer.observe_backlog, "backlog"))]
        try:
            yield
        finally:
            for loop in loops:
                loop.cancel()
            for loop in loops:
                with contextlib.suppress(asyncio.CancelledError):
                    await loop
            await runtime.close()
            app.state.tracing.flush()  # what is buffered leaves before the process does

    app = create_service_app(SERVICE, settings, get_settings, title="Ailurus worker", lifespan=lifespan,
                             health=health.router)
    return app
