"""Put a model live and take it back with zero downtime.

promote: the model's files go where Triton and preprocess read them (``models/<name>/`` in
the blob store; locally also the Python-backend repository of the local Triton), Triton
loads it beside the live one, ``models/serving.json`` switches every preprocess replica to
it (within one poll), the old model drains (requests already sent to it finish) and is
unloaded. rollback is the same walk back to the model the pointer says it replaced.
"""

import asyncio
import json
import logging
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import tritonclient.grpc as grpcclient
from google.protobuf import text_format
from tritonclient.grpc import model_config_pb2 as mc
from tritonclient.utils import InferenceServerException

from ailurus_common.contracts.serving import (
    CONFIG_FILE,
    LABELS_FILE,
    MODEL_NAME_PATTERN,
    SERVING_BLOB,
    TAXONOMY_FILE,
    ServingState,
    model_blob_name,
)
from ailurus_common.records import utc_now
from ailurus_common.storage.blob import MODELS, BlobStore
from ailurus_common.storage.errors import NotFound
from ailurus_common.taxonomy import Taxonomy, TaxonomyError
from ailurus_ml.errors import ServingError

log = logging.getLogger(__name__)
_READY_POLL_S = 0.2


@dataclass(frozen=True)
class Switch:
    """What a promote or rollback did."""

    old: str
    new: str
    unloaded: bool


def check_model_folder(folder: Path) -> str:
    """The Triton model name of a production model folder, after checking that preprocess
    can read its answers (labels match the output size; every label has a group)."""
    try:
        config = text_format.Parse((folder / CONFIG_FILE).read_text(encoding="utf-8"), mc.ModelConfig())
        labels = (folder / LABELS_FILE).read_text(encoding="utf-8").splitlines()
        mapping = json.loads((folder / TAXONOMY_FILE).read_text(encoding="utf-8"))
    except (OSError, text_format.ParseError, ValueError) as exc:
        raise ServingError(f"{folder} is not a servable model folder: {exc}") from None
    if config.name != folder.name or not re.fullmatch(MODEL_NAME_PATTERN, config.name):
        raise ServingError(f"{folder}: config name {config.name!r} must be the folder's name and match "
                           f"{MODEL_NAME_PATTERN}")
    outputs = [list(o.dims) for o in config.output]
    if len(outputs) != 1 or outputs[0][-1] != len(labels):
        raise ServingError(f"{folder}: {len(labels)} labels for output dims {outputs}: clients would mislabel")
    try:
        Taxonomy(labels, mapping)
    except (TaxonomyError, ValueError, KeyError) as exc:
        raise ServingError(f"{folder}: taxonomy.json does not fit labels.txt: {exc}") from None
    if not any(p.is_dir() and p.name.isdigit() and (p / "model.onnx").is_file() for p in folder.iterdir()):
        raise ServingError(f"{folder}: no <version>/model.onnx")
    return config.name


class Serving:
    """The live model of one deployment: its pointer, its Triton, its model files.

    Args:
        blobs: the deployment's blob store (``models/`` container).
        triton_grpc_url: Triton's gRPC address (model control API).
        base_model: what serves while no pointer exists.
        promoted_dir: where promoted production folders are kept (the local Triton includes
            them in its repository on every start); None where Triton reads ``models/``.
        local_repository: the local Triton's Python-backend repository, or None.
        drain_s: how long the old model keeps serving after the switch: longer than
            preprocess's poll interval plus its longest request.
        access_headers: gRPC headers that open Triton's model-control API (its access key).
    """

    def __init__(self, blobs: BlobStore, *, triton_grpc_url: str, base_model: str, promoted_dir: Path | None,
                 local_repository: Path | None, drain_s: float, load_timeout_s: float = 120.0,
                 access_headers: dict[str, str] | None = None) -> None:
        self.access_headers = access_headers or {}
        self.blobs = blobs
        self.base_model = base_model
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
            return ServingState(model=self.base_model, changed_at=utc_now())

    async def promote(self, folder: Path) -> Switch:
        """Put the model of ``folder`` live; returns the old and new names."""
        name = check_model_folder(folder)
        current = await self.state()
        if current.model == name:
            raise ServingError(f"{name} is already live")
        await self._publish(folder, name)
        return await self._switch(current.model, name)

    async def rollback(self) -> Switch:
        """Put back the model the live one replaced."""
        current = await self.state()
        if current.previous is None:
            raise ServingError(f"{current.model} replaced nothing: there is nothing to roll back to")
        return await self._switch(current.model, current.previous)

    async def _publish(self, folder: Path, name: str) -> None:
        """The files go where preprocess (labels, taxonomy) and Triton (config, ONNX) read them."""
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            relative = path.relative_to(folder).as_posix()
            await self.blobs.put(MODELS, model_blob_name(name, relative), path.read_bytes(),
                                 content_type="application/octet-stream", overwrite=True)
        if self.promoted_dir is not None:
            target = self.promoted_dir / name
            if target.resolve() != folder.resolve():
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(folder, target)
            folder = target
        if self.local_repository is not None:
            # The wheel's Triton has only the Python backend: serve the same ONNX through it.
            from ailurus_tools.triton.repository import install_local_model

            install_local_model(folder, self.local_repository, max_queue_delay_us=100, intra_op_threads=1)

    async def _switch(self, old: str, new: str) -> Switch:
        self._load(new)
        await self.blobs.put(MODELS, SERVING_BLOB,
                             ServingState(model=new, previous=old, changed_at=utc_now()).model_dump_json().encode(),
                             content_type="application/json", overwrite=True)
        log.info("serving %s (was %s); %s drains for %.1f s", new, old, old, self.drain_s)
        await asyncio.sleep(self.drain_s)
        try:
            self._triton.unload_model(old, headers=self.access_headers)
            unloaded = True
        except InferenceServerException as exc:  # already gone: nothing serves it either way
            log.warning("unload of %s: %s", old, exc.message())
            unloaded = False
        return Switch(old=old, new=new, unloaded=unloaded)

    def _load(self, name: str) -> None:
        try:
            self._triton.load_model(name, headers=self.access_headers)
        except InferenceServerException as exc:
            raise ServingError(f"Triton could not load {name}: {exc.message()}") from None
        deadline = time.monotonic() + self.load_timeout_s
        while not self._triton.is_model_ready(name):
            if time.monotonic() > deadline:
                raise ServingError(f"{name} not ready after {self.load_timeout_s:.0f} s")
            time.sleep(_READY_POLL_S)
