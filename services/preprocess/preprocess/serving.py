"""The live model, followed from ``models/serving.json``: a promote or rollback switches
every replica within one poll, with no restart; requests in flight finish on the model
they started with (the switch is per request, never mid-request)."""

import asyncio
import logging

from pydantic import ValidationError

from ailurus_common.contracts.serving import SERVING_BLOB, ServedModel, ServingState
from ailurus_common.errors import AilurusError
from ailurus_common.storage.blob import MODELS, BlobStore
from ailurus_common.storage.errors import NotFound

log = logging.getLogger(__name__)


class ServingPointer:
    """The model new requests go to; ``default_model`` (its newest version) until a pointer exists."""

    def __init__(self, blobs: BlobStore, *, default_model: str, poll_s: float) -> None:
        self._blobs = blobs
        self.default_model = ServedModel(name=default_model)
        self.poll_s = poll_s
        self.current = self.default_model
        self._task: asyncio.Task | None = None

    async def refresh(self) -> ServedModel:
        """Read the pointer now; on a read failure the last known model stays live."""
        try:
            state = ServingState.model_validate_json(await self._blobs.get(MODELS, SERVING_BLOB))
        except NotFound:
            model = self.default_model
        except (AilurusError, ValidationError) as exc:
            log.warning("serving pointer unreadable, %s stays live: %s", self.current, exc)
            return self.current
        else:
            model = state.live
        if model != self.current:
            log.info("serving model switched: %s -> %s", self.current, model)
            self.current = model
        return model

    async def start(self) -> None:
        await self.refresh()
        self._task = asyncio.create_task(self._follow())

    async def _follow(self) -> None:
        while True:
            await asyncio.sleep(self.poll_s)
            await self.refresh()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
