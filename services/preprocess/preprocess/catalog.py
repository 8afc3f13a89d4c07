"""Labels and taxonomy of each model that answers, read once per model name (a name's
label set never changes: a new label set is a new model name)."""

import asyncio
import json
from pathlib import Path

from ailurus_common.contracts.serving import LABELS_FILE, TAXONOMY_FILE, model_blob_name
from ailurus_common.storage.blob import MODELS, BlobStore
from ailurus_common.storage.errors import NotFound
from ailurus_common.taxonomy import Taxonomy, TaxonomyError


class ModelCatalog:
    """Taxonomies by model name, from ``models/<name>/`` in the blob store; the base model
    also from its folder in the repository (``fallback_dir``), where no promote wrote it."""

    def __init__(self, blobs: BlobStore, *, fallback_name: str, fallback_dir: Path) -> None:
        self._blobs = blobs
        self._fallback_name = fallback_name
        self._fallback_dir = fallback_dir
        self._taxonomies: dict[str, Taxonomy] = {}
        self._lock = asyncio.Lock()

    async def taxonomy(self, model: str) -> Taxonomy:
        """The taxonomy of ``model``; ``TaxonomyError`` when its files are nowhere."""
        if (known := self._taxonomies.get(model)) is not None:
            return known
        async with self._lock:
            if model not in self._taxonomies:
                self._taxonomies[model] = await self._load(model)
            return self._taxonomies[model]

    async def _load(self, model: str) -> Taxonomy:
        try:
            labels = (await self._blobs.get(MODELS, model_blob_name(model, LABELS_FILE))).decode("utf-8")
            mapping = json.loads(await self._blobs.get(MODELS, model_blob_name(model, TAXONOMY_FILE)))
        except NotFound:
            if model != self._fallback_name:
                raise TaxonomyError(f"model {model} has no {LABELS_FILE}/{TAXONOMY_FILE} in {MODELS}/") from None
            return await asyncio.to_thread(Taxonomy.load, self._fallback_dir)
        return Taxonomy(labels.splitlines(), mapping)
