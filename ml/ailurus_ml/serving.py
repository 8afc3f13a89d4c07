"""Put a model live and take it back with zero downtime.

promote: the model's files go where Triton and preprocess read them (``models/<name>/`` in
the blob store; locally also the Python-backend repository of the local Triton), Triton
loads it beside the live one, ``models/serving.json`` switches every preprocess replica to
it (within one poll), the old model drains (requests already sent to it finish) and is
unloaded. A new version of the live model's name is loaded as a second version of it (the
config's ``version_policy`` names both), then the old version is dropped from the policy.
rollback is the same walk back to the model the pointer says it replaced.

Triton's gRPC client and the file copies block: every such call runs in a worker thread, so a
switch can run inside a serving event loop (the ML admin service) without stalling its other
requests for the seconds a load and a drain take.

Each switch is announced (``model.promoted`` / ``model.rolled_back``) through ``announce``
right after the pointer is written: the CLI records it in ingest's outbox (the notifier
delivers it from there). The event id is derived from the pointer written, so a re-sent
announcement is recorded once. An announcement ingest does not take (it may be restarting)
is retried while the old model drains and after, for up to ``announce_timeout_s``; a switch
whose announcement still fails stands (it is logged): the pointer is the truth, the event is
news of it.
"""

import asyncio
import json
import logging
import shutil
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import tritonclient.grpc as grpcclient
from google.protobuf import text_format
from tritonclient.grpc import model_config_pb2 as mc
from tritonclient.utils import InferenceServerException

from ailurus_common.contracts.events import EventType, OutboxEvent
from ailurus_common.contracts.serving import (
    CONFIG_FILE,
    SERVING_BLOB,
    TAXONOMY_FILE,
    ServedModel,
    ServingState,
    model_blob_name,
)
from ailurus_common.errors import AilurusError
from ailurus_common.records import utc_now
from ailurus_common.storage.blob import MODELS, BlobStore
from ailurus_common.storage.errors import NotFound
from ailurus_common.taxonomy import Taxonomy, TaxonomyError
from ailurus_ml.config import MlSettings
from ailurus_ml.errors import ModelLoadFailed, ServingError
from ailurus_ml.model_folder import ONNX_FILE, ModelFolder, ModelFolderError, inspect_model_folder

log = logging.getLogger(__name__)
_READY_POLL_S = 0.2
_LOAD_RETRY_S = 2.0
Announce = Callable[[OutboxEvent], Awaitable[object]]


def model_event(kind: EventType, state: ServingState) -> OutboxEvent:
    """The outbox event of one pointer write (its id a function of the pointer)."""
    old, new = state.previous or state.live, state.live
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"ailurus:serving:{state.changed_at.isoformat()}:{old}:{new}")
    return OutboxEvent(id=str(event_id), type=kind, subject=f"models/{new.name}", time=state.changed_at, data={
        "old": {"name": old.name, "version": old.version}, "new": {"name": new.name, "version": new.version},
        "changed_at": state.changed_at.isoformat()})


@dataclass(frozen=True)
class Switch:
    """What a promote or rollback did."""

    old: ServedModel
    new: ServedModel
    unloaded: bool


def with_versions(config_text: str, versions: list[str]) -> str:
    """``config.pbtxt`` text serving exactly ``versions`` (Triton's ``specific`` policy)."""
    config = text_format.Parse(config_text, mc.ModelConfig())
    config.version_policy.Clear()
    config.version_policy.specific.versions.extend(sorted({int(v) for v in versions}))
    return text_format.MessageToString(config)


def check_model_folder(folder: Path) -> ModelFolder:
    """The model folder's files, after checking that preprocess can read its answers: the
    folder as the registry keeps it, one output as wide as the labels, a group for each label."""
    try:
        found = inspect_model_folder(folder, name=folder.name)
        config = text_format.Parse((folder / CONFIG_FILE).read_text(encoding="utf-8"), mc.ModelConfig())
        mapping = json.loads((folder / TAXONOMY_FILE).read_text(encoding="utf-8"))
    except (ModelFolderError, OSError, text_format.ParseError, ValueError) as exc:
        raise ServingError(f"{folder} is not a servable model folder: {exc}") from None
    outputs = [list(o.dims) for o in config.output]
    if len(outputs) != 1 or outputs[0][-1] != len(found.labels):
        raise ServingError(f"{folder}: {len(found.labels)} labels for output dims {outputs}: clients would mislabel")
    try:
        Taxonomy(list(found.labels), mapping)
    except (TaxonomyError, ValueError, KeyError) as exc:
        raise ServingError(f"{folder}: taxonomy.json does not fit labels.txt: {exc}") from None
    return found


def open_serving(settings: MlSettings, blobs: BlobStore) -> "Serving":
    """The deployment's ``Serving`` from the ML settings (Triton's key from the setting, or
    the file the local Triton writes)."""
    token = settings.triton_access_token.get_secret_value() if settings.triton_access_token else None
    if token is None and settings.triton_access_token_path.is_file():
        token = settings.triton_access_token_path.read_text(encoding="utf-8").strip()
    headers = {"triton-grpc-protocol-triton-access-token": token} if token else {}
    local = settings.triton_local_repository
    return Serving(blobs, triton_grpc_url=settings.triton_grpc_url, base_model=settings.base_model,
                   promoted_dir=settings.promoted_dir, local_repository=local if local and local.is_dir() else None,
                   drain_s=settings.serving_drain_s, load_timeout_s=settings.triton_load_timeout_s,
                   access_headers=headers, announce_timeout_s=settings.announce_timeout_s)


class Serving:
    """The live model of one deployment: its pointer, its Triton, its model files.

    Args:
        blobs: the deployment's blob store (``models/`` container).
        triton_grpc_url: Triton's gRPC address (model control API).
        base_model: what serves while no pointer exists (its newest version).
        promoted_dir: where promoted production folders are kept (the local Triton includes
            them in its repository on every start); None where Triton reads ``models/``.
        local_repository: the local Triton's Python-backend repository, or None.
        drain_s: how long the old model keeps serving after the switch: longer than
            preprocess's poll interval plus its longest request.
        access_headers: gRPC headers that open Triton's model-control API (its access key).
        announce: records a switch's event (``model_event``); None announces nothing.
        announce_timeout_s: how long a refused announcement is retried (back-off 0.5 s doubling
            to 8 s); the switch's answer waits for it at most this long after the drain.
    """

    def __init__(self, blobs: BlobStore, *, triton_grpc_url: str, base_model: str, promoted_dir: Path | None,
                 local_repository: Path | None, drain_s: float, load_timeout_s: float = 120.0,
                 access_headers: dict[str, str] | None = None, announce: Announce | None = None,
                 announce_timeout_s: float = 30.0) -> None:
        self.access_headers = access_headers or {}
        self.announce = announce
        self.announce_timeout_s = announce_timeout_s
        self.blobs = blobs
        self.base_model = ServedModel(name=base_model)
        self.promoted_dir = promoted_dir
        self.local_repository = local_repository
        self.drain_s = drain_s
        self.load_timeout_s = load_timeout_s
        self._triton = grpcclient.InferenceServerClient(triton_grpc_url)

    def close(self) -> None:
        self._triton.close()

    async def state(self) -> ServingState:
        """The pointer (the base model, replacing nothing, before any promote)."""
        try:
            return ServingState.model_validate_json(await self.blobs.get(MODELS, SERVING_BLOB))
        except NotFound:
            return ServingState(live=self.base_model, changed_at=utc_now())

    async def promote(self, folder: Path, *, version: str | None = None) -> Switch:
        """Put the model of ``folder`` live as ``version`` (the registry's version; by
        default the folder's own); returns the old and new models."""
        found = await asyncio.to_thread(check_model_folder, folder)
        target = ServedModel(name=folder.name, version=version or found.version_dir)
        current = (await self.state()).live
        if current == target or (current.name == target.name and current.version is None):
            # (A versionless live model is the base one serving its newest version.)
            raise ServingError(f"{target} is already live")
        await self._publish(found, target)
        return await self._switch(current, target, EventType.MODEL_PROMOTED)

    async def rollback(self) -> Switch:
        """Put back the model the live one replaced."""
        current = await self.state()
        if current.previous is None:
            raise ServingError(f"{current.live} replaced nothing: there is nothing to roll back to")
        return await self._switch(current.live, current.previous, EventType.MODEL_ROLLED_BACK)

    async def _publish(self, found: ModelFolder, target: ServedModel) -> None:
        """The model's files go where preprocess (labels, taxonomy) and Triton (config, ONNX)
        read them, the ONNX under the served version's folder."""
        onnx = f"{found.version_dir}/{ONNX_FILE}"
        # Served name in models/<name>/ for each file of the folder.
        files = {f"{target.version}/{ONNX_FILE}" if relative == onnx else relative: found.root / relative
                 for relative in found.files}
        for relative, path in files.items():
            await self.blobs.put(MODELS, model_blob_name(target.name, relative), path.read_bytes(),
                                 content_type="application/octet-stream", overwrite=True)
        if self.promoted_dir is not None:
            await asyncio.to_thread(self._keep_local, files, target)

    def _keep_local(self, files: dict[str, Path], target: ServedModel) -> None:
        """The promoted folder for the local Triton (it includes ``promoted_dir`` on every start)."""
        kept = self.promoted_dir / target.name
        for relative, path in files.items():
            destination = kept / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            if not destination.exists() or not destination.samefile(path):
                shutil.copyfile(path, destination)
        if self.local_repository is not None:
            # The wheel's Triton has only the Python backend: serve the same ONNX through it.
            from ailurus_tools.triton.repository import install_local_model
            from ailurus_tools.triton.server import TritonSettings

            local = TritonSettings()  # the local Triton's own TRITON_* settings
            install_local_model(kept, self.local_repository, max_queue_delay_us=local.max_queue_delay_us,
                                intra_op_threads=local.intra_op_threads)

    async def _serve_versions(self, model: ServedModel, versions: list[str]) -> None:
        """Write the version policy of ``model`` into every repository copy of its config."""
        if model.version is None:
            return  # the base model keeps its own policy (its newest version)
        blob = model_blob_name(model.name, CONFIG_FILE)
        try:
            text = (await self.blobs.get(MODELS, blob)).decode("utf-8")
        except NotFound:
            text = None
        if text is not None:
            await self.blobs.put(MODELS, blob, with_versions(text, versions).encode(), content_type="text/plain",
                                 overwrite=True)
        for root in (self.promoted_dir, self.local_repository):
            path = root / model.name / CONFIG_FILE if root is not None else None
            if path is not None and path.is_file():
                updated = with_versions(path.read_text(encoding="utf-8"), versions)
                path.unlink()  # it may be a link into the promoted folder: write a file of its own
                path.write_text(updated, encoding="utf-8")

    async def _switch(self, old: ServedModel, new: ServedModel, kind: EventType) -> Switch:
        same_name = old.name == new.name and old.version is not None
        await self._serve_versions(new, [old.version, new.version] if same_name else [new.version])
        await asyncio.to_thread(self._load, new)
        pointer = ServingState(live=new, previous=old, changed_at=utc_now())
        await self.blobs.put(MODELS, SERVING_BLOB, pointer.model_dump_json().encode(),
                             content_type="application/json", overwrite=True)
        # Announced while the old model drains: a retry costs the switch no time.
        announcing = asyncio.create_task(self.announce_switch(model_event(kind, pointer)))
        try:
            return await self._drain_and_unload(old, new, same_name=same_name)
        finally:
            await announcing

    async def announce_switch(self, event: OutboxEvent) -> bool:
        """Record ``event`` through ``announce``, retrying a refusal with back-off for up to
        ``announce_timeout_s``; whether it was recorded (a lost one is logged, never raised)."""
        if self.announce is None:
            return False
        deadline = time.monotonic() + self.announce_timeout_s
        delay_s = 0.5
        while True:
            try:
                await self.announce(event)
                return True
            except AilurusError as exc:  # ingest unreachable or refusing
                if time.monotonic() + delay_s > deadline:
                    log.warning("%s (%s) not announced after %.0f s: %s", event.type, event.subject,
                                self.announce_timeout_s, exc)
                    return False
                log.info("%s not announced yet, retrying in %.1f s: %s", event.type, delay_s, exc)
            await asyncio.sleep(delay_s)
            delay_s = min(delay_s * 2, 8.0)

    async def _drain_and_unload(self, old: ServedModel, new: ServedModel, *, same_name: bool) -> Switch:
        log.info("serving %s (was %s); %s drains for %.1f s", new, old, old, self.drain_s)
        await asyncio.sleep(self.drain_s)
        try:
            if same_name:  # reloading with the new version alone unloads the old one
                await self._serve_versions(new, [new.version])
                await asyncio.to_thread(self._triton.load_model, new.name, headers=self.access_headers)
            else:
                await asyncio.to_thread(self._triton.unload_model, old.name, headers=self.access_headers)
            unloaded = True
        except InferenceServerException as exc:  # already gone: nothing serves it either way
            log.warning("unload of %s: %s", old, exc.message())
            unloaded = False
        return Switch(old=old, new=new, unloaded=unloaded)

    def _load(self, model: ServedModel) -> None:
        """Load ``model`` and wait until it is ready. Where a model sync copies ``models/`` to
        Triton (the chart), its files may not be there yet: the load is retried until
        ``load_timeout_s``; a refused key is final. Blocking (gRPC, sleeps): run it in a thread."""
        deadline = time.monotonic() + self.load_timeout_s
        while True:
            try:
                self._triton.load_model(model.name, headers=self.access_headers)
                break
            except InferenceServerException as exc:
                status, message = str(exc.status() or ""), str(exc.message() or "")
                refused = "PERMISSION" in status or "UNAUTH" in status or "restricted" in message.lower()
                if refused or time.monotonic() > deadline:
                    raise ModelLoadFailed(f"Triton could not load {model}: {exc.message()}") from None
                log.info("%s not loadable yet (%s), retrying", model, exc.message())
                time.sleep(_LOAD_RETRY_S)
        while not self._triton.is_model_ready(model.name, model.version or ""):
            if time.monotonic() > deadline:
                raise ModelLoadFailed(f"{model} not ready after {self.load_timeout_s:.0f} s")
            time.sleep(_READY_POLL_S)
