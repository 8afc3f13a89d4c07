"""The system's own labels, the closed loop: media records from ingest, their originals in
``uploads/``. A media's label is its latest human observation (the reviewer's ``label``,
else the ``group`` they chose); machine labels only when asked for explicitly, since
training on the model's own guesses teaches it its mistakes. Site = the trap."""

from collections.abc import Iterable

from ailurus_common.records import Media, Observation
from ailurus_common.storage.blob import original_location
from ailurus_ml.datasets.source import SourceFile, SourceListing
from ailurus_ml.manifest import ProblemCode

HUMAN, MACHINE = "human", "machine"


def label_of(observations: list[Observation], *, include_machine: bool) -> str | None:
    """The source label of a media: the latest human observation's, else (when asked) the
    latest machine one's; None when it has neither."""
    for method in (HUMAN, MACHINE) if include_machine else (HUMAN,):
        chosen = [observation for observation in observations if observation.method == method]
        if chosen:
            latest = max(chosen, key=lambda observation: observation.classified_at)
            return latest.label or str(latest.group)
    return None


def list_reviews(media: Iterable[Media], *, include_machine: bool = False) -> tuple[SourceListing, int]:
    """The labelled media among ``media``.

    Returns:
        The listing (a media without a label is not in it: most media are never reviewed)
        and how many media were seen.
    """
    listing = SourceListing()
    seen = 0
    for record in media:
        seen += 1
        label = label_of(record.observations, include_machine=include_machine)
        if label is None:
            continue
        source = f"{record.deployment_id}/{record.file_name} ({record.id[:12]})"
        blob = original_location(record.blob_original)
        if blob is None:
            listing.problem(source, ProblemCode.MISSING_FILE, f"the record names no original ({record.blob_original!r})")
            continue
        listing.files.append(SourceFile(
            source=source, path=None, blob=blob, source_labels=(label,), site=record.deployment_id,
            deployment=record.deployment_id,
            # Upload time is not a capture time; an EXIF one is corrected already (time zone, clock offset).
            source_time=record.timestamp if record.timestamp_source == "exif" else None,
            source_time_first=record.timestamp_source == "exif"))
    return listing, seen
