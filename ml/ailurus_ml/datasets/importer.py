"""The import engine every format shares: labels through the label map, bytes read and
hashed, judged by the serving decoder's rules, deduplicated, stored once; one problem per
file left out, never an abort. Then the manifest, written once under its content id."""

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ailurus_common.image_probe import ProbedImage, UnreadableImage, probe_image
from ailurus_common.imaging import HeaderLimits, register_decoders
from ailurus_common.storage.errors import NotFound
from ailurus_ml.datasets.labels import LabelResolver
from ailurus_ml.datasets.source import SourceFile, SourceListing
from ailurus_ml.datasets.store import SnapshotStore, snapshot_id, validate_name
from ailurus_ml.manifest import DatasetItem, DatasetManifest, DatasetProblem, ProblemCode, SourceFormat

DEFAULT_CONCURRENCY = 4  # files read and decoded at once (2 cores; the rest is waiting on storage)


@dataclass(frozen=True)
class ImportOutcome:
    manifest: DatasetManifest
    created: bool  # False: the same snapshot existed already and was left as it was
    images_written: int  # new blobs under images/ (the rest were shared with earlier snapshots)


@dataclass(frozen=True)
class _Readable:
    """A file that passed: its bytes, hash and what the probe saw."""

    data: bytes
    sha256: str
    image: ProbedImage


@dataclass(frozen=True)
class _Failed:
    """A file left out while reading; ``sha256`` when its bytes were read (duplicates still count)."""

    code: ProblemCode
    message: str
    sha256: str | None = None


def _read_file(path: Path) -> bytes | _Failed:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return _Failed(ProblemCode.MISSING_FILE, f"{path} does not exist")
    except OSError as exc:
        return _Failed(ProblemCode.MISSING_FILE, f"{path} cannot be read: {exc.strerror or exc}")


def _judge(data: bytes, limits: HeaderLimits) -> _Readable | _Failed:
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        image = probe_image(data, limits)
    except UnreadableImage as exc:
        return _Failed(ProblemCode.UNREADABLE, str(exc), sha256)
    return _Readable(data, sha256, image)


def capture_time(exif: datetime | None, source: datetime | None) -> datetime | None:
    """EXIF DateTimeOriginal when present, else the source's own time. Cameras write local
    time without an offset: when the source says the same local time with an offset (Camtrap
    DP timestamps must have one), that offset is kept, so one snapshot does not mix naive and
    aware times needlessly."""
    if exif is None:
        return source
    if exif.tzinfo is None and source is not None and source.tzinfo is not None and source.replace(tzinfo=None) == exif:
        return source
    return exif


class _Importer:
    def __init__(self, store: SnapshotStore, labels: LabelResolver, limits: HeaderLimits) -> None:
        self.store, self.labels, self.limits = store, labels, limits
        self.items: dict[str, DatasetItem] = {}
        self.problems: list[DatasetProblem] = []
        self.images_written = 0

    def _problem(self, file: SourceFile, code: ProblemCode, message: str) -> None:
        self.problems.append(DatasetProblem(source=file.source, code=code, message=message))

    def label_of(self, file: SourceFile) -> str | None:
        """The file's class, or None after recording why it has none (no file is read for it)."""
        if not file.source_labels:
            self._problem(file, ProblemCode.MISSING_LABEL, "the source gives this file no label")
            return None
        resolved = {source: self.labels.resolve(source) for source in file.source_labels}
        unknown = sorted(source for source, label in resolved.items() if label is None)
        if unknown:
            self._problem(file, ProblemCode.UNKNOWN_LABEL, f"the label map does not name {', '.join(map(repr, unknown))}")
            return None
        classes = sorted({label for label in resolved.values() if label})
        if len(classes) > 1:
            self._problem(file, ProblemCode.CONFLICTING_LABELS,
                          f"labels {', '.join(map(repr, file.source_labels))} give classes {', '.join(classes)}")
            return None
        return classes[0]

    async def read(self, file: SourceFile) -> _Readable | _Failed:
        """Bytes from the file or blob, judged in a worker thread. A store that fails (not a
        missing blob) raises: that is an outage, not a problem of this file."""
        if file.blob is not None:
            container, name = file.blob
            try:
                data: bytes | _Failed = await self.store.blobs.get(container, name)
            except NotFound:
                data = _Failed(ProblemCode.MISSING_FILE, f"{container}/{name} is not in the blob store")
        elif file.path is not None:
            data = await asyncio.to_thread(_read_file, file.path)
        else:
            data = _Failed(ProblemCode.MISSING_FILE, "the source names no file")
        if isinstance(data, _Failed):
            return data
        return await asyncio.to_thread(_judge, data, self.limits)

    async def run_chunk(self, chunk: list[tuple[SourceFile, str]]) -> None:
        reads = await asyncio.gather(*(self.read(file) for file, _ in chunk))
        new: list[tuple[DatasetItem, bytes, str]] = []
        # Judged in source order, so which copy of a duplicate is kept never depends on timing.
        for (file, label), read in zip(chunk, reads, strict=True):
            if read.sha256 is not None and read.sha256 in self.items:
                first = self.items[read.sha256]
                also = "" if first.label == label else f" (labelled {first.label!r} there, {label!r} here)"
                self._problem(file, ProblemCode.DUPLICATE, f"the same bytes as {first.source}{also}")
                continue
            if isinstance(read, _Failed):
                self._problem(file, read.code, read.message)
                continue
            item = DatasetItem(sha256=read.sha256, label=label, source_label="|".join(file.source_labels),
                               site=file.site, deployment=file.deployment,
                               captured_at=(file.source_time if file.source_time_first and file.source_time
                                            else capture_time(read.image.captured_at, file.source_time)),
                               source=file.source)
            self.items[read.sha256] = item
            new.append((item, read.data, read.image.media_type))
        written = await asyncio.gather(*(self.store.put_image(item.sha256, data, media_type=media_type)
                                         for item, data, media_type in new))
        self.images_written += sum(written)


async def import_listing(listing: SourceListing, *, store: SnapshotStore, name: str, source_format: SourceFormat,
                         labels: LabelResolver | None = None, limits: HeaderLimits = HeaderLimits(),
                         concurrency: int = DEFAULT_CONCURRENCY,
                         progress: Callable[[int], None] | None = None) -> ImportOutcome:
    """Import every file of ``listing`` into a snapshot named ``name``.

    Args:
        listing: the files and source-level problems an importer found.
        store: where images and the manifest go.
        name: the snapshot name (the id is ``<name>-<hash>``).
        source_format: recorded in the manifest.
        labels: source label -> class; None = the source labels are the classes.
        limits: the serving decoder's header limits.
        concurrency: files read and decoded at once.
        progress: called with the number of files done since the last call.

    Returns:
        The manifest, and whether this call created it (an identical import returns the
        existing snapshot untouched).
    """
    validate_name(name)
    register_decoders()  # once, before the worker threads race to register HEIF
    labels = labels or LabelResolver()
    importer = _Importer(store, labels, limits)
    importer.problems.extend(listing.problems)
    chunk: list[tuple[SourceFile, str]] = []
    chunk_files = max(1, concurrency)
    for file in listing.files:
        label = importer.label_of(file)
        if label is None:
            if progress:
                progress(1)
            continue
        chunk.append((file, label))
        if len(chunk) >= chunk_files:
            await importer.run_chunk(chunk)
            if progress:
                progress(len(chunk))
            chunk = []
    if chunk:
        await importer.run_chunk(chunk)
        if progress:
            progress(len(chunk))
    items = sorted(importer.items.values(), key=lambda item: item.sha256)
    manifest = DatasetManifest(
        id=snapshot_id(name, items), name=name, created_at=datetime.now(UTC), source_format=source_format,
        label_map=labels.label_map, classes=sorted({item.label for item in items}), items=items,
        problems=importer.problems)
    # Images first, manifest last: a manifest never names an image that is not stored.
    created = await store.save(manifest)
    if not created:
        manifest = await store.load(manifest.id)
    return ImportOutcome(manifest=manifest, created=created, images_written=importer.images_written)
