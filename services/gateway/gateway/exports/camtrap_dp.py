"""Camtrap DP 1.0.2 (the TDWG camera-trap data package) as a zip written while it streams:
``media.csv`` and ``observations.csv`` (one observation per media, ``observationLevel``
media), ``deployments.csv`` and ``datapackage.json`` last, once the coverage is known.

One pass over the rows: ``media.csv`` goes into the archive as it is written, the
observations (and, with media files, the media table too) wait in spooled temporary files
that move to disk past a few MiB, so memory stays bounded whatever the export's size.
"""

import csv
import io
import json
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO

from ailurus_common.domain import Group
from ailurus_common.storage.blob import PROCESSED
from gateway.exports.context import (
    CHUNK_BYTES,
    Entries,
    ExportContext,
    ExportRow,
    ReadFile,
    Trap,
    file_name_in_package,
    local_time,
)
from gateway.exports.vocabulary import OBSERVATION_TYPE, SCIENTIFIC_NAME, UNCLASSIFIED
from gateway.exports.zipstream import StreamingZip

VERSION = "1.0.2"
BASE_URL = f"https://raw.githubusercontent.com/tdwg/camtrap-dp/{VERSION}/"
PROFILE_URL = BASE_URL + "camtrap-dp-profile.json"
SCHEMA_URLS = {name: f"{BASE_URL}{name}-table-schema.json" for name in ("deployments", "media", "observations")}
MEDIA_TYPE = "application/zip"
# Temporary tables stay in memory up to this size, then move to a file.
SPOOL_MAX_BYTES = 4 * 1024 * 1024

# Every field of the official table schemas, in their order (frictionless checks the header
# against the schema exactly); the ones we have nothing for stay empty.
DEPLOYMENT_FIELDS = ["deploymentID", "locationID", "locationName", "latitude", "longitude", "coordinateUncertainty",
                     "deploymentStart", "deploymentEnd", "setupBy", "cameraID", "cameraModel", "cameraDelay",
                     "cameraHeight", "cameraDepth", "cameraTilt", "cameraHeading", "detectionDistance",
                     "timestampIssues", "baitUse", "featureType", "habitat", "deploymentGroups", "deploymentTags",
                     "deploymentComments"]
MEDIA_FIELDS = ["mediaID", "deploymentID", "captureMethod", "timestamp", "filePath", "filePublic", "fileName",
                "fileMediatype", "exifData", "favorite", "mediaComments"]
OBSERVATION_FIELDS = ["observationID", "deploymentID", "mediaID", "eventID", "eventStart", "eventEnd",
                      "observationLevel", "observationType", "cameraSetupType", "scientificName", "count", "lifeStage",
                      "sex", "behavior", "individualID", "individualPositionRadius", "individualPositionAngle",
                      "individualSpeed", "bboxX", "bboxY", "bboxWidth", "bboxHeight", "classificationMethod",
                      "classifiedBy", "classificationTimestamp", "classificationProbability", "observationTags",
                      "observationComments"]


@dataclass
class Coverage:
    """What ``datapackage.json`` and ``deployments.csv`` need to know about the rows."""

    first: datetime | None = None
    last: datetime | None = None
    per_trap: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)
    cameras: dict[str, str] = field(default_factory=dict)
    taxa: set[Group] = field(default_factory=set)
    media: int = 0

    def add(self, row: ExportRow) -> None:
        self.media += 1
        moment = row.timestamp
        self.first = min(self.first or moment, moment)
        self.last = max(self.last or moment, moment)
        lo, hi = self.per_trap.get(row.deployment_id, (moment, moment))
        self.per_trap[row.deployment_id] = (min(lo, moment), max(hi, moment))
        if row.camera_model and row.deployment_id not in self.cameras:
            self.cameras[row.deployment_id] = " ".join(filter(None, (row.camera_make, row.camera_model)))
        if row.label and row.label.group in SCIENTIFIC_NAME:
            self.taxa.add(row.label.group)


def _spool() -> IO[str]:
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_BYTES, mode="w+", newline="", encoding="utf-8")


def _tag(value: str) -> str:
    return value.replace("|", "/")  # "|" separates Camtrap DP tags


def _file_reference(row: ExportRow, context: ExportContext, in_package: str | None) -> tuple[str, str]:
    """(filePath, fileMediatype): the file inside the package, else the API route the
    caller may read it from (exact callers the original, others the thumbnail)."""
    if in_package is not None:
        return in_package, "image/jpeg" if not context.exact else row.media_type
    if context.exact:
        return f"{context.api_url}/media/{row.id}/original", row.media_type
    return f"{context.api_url}/media/{row.id}/thumbnail", "image/jpeg"


def media_row(row: ExportRow, trap: Trap, context: ExportContext, in_package: str | None) -> dict:
    path, media_type = _file_reference(row, context, in_package)
    exif = {k: v for k, v in (("make", row.camera_make), ("model", row.camera_model), ("width", row.width),
                              ("height", row.height)) if v is not None}
    gps = getattr(row, "gps", None)  # exact rows only: the coarse row model has no such field
    if gps is not None:
        exif["gps"] = gps.model_dump(exclude_none=True)
    comments = f"status:{row.status}" + (f"|error:{row.error_code}" if row.error_code else "")
    return {"mediaID": row.id, "deploymentID": row.deployment_id, "timestamp": local_time(row.timestamp, trap.timezone),
            "filePath": path, "filePublic": "false" if row.shows_people else "true", "fileName": row.file_name,
            "fileMediatype": media_type, "exifData": json.dumps(exif, separators=(",", ":")) if exif else "",
            "mediaComments": comments}


def observation_row(row: ExportRow, trap: Trap) -> dict:
    moment = local_time(row.timestamp, trap.timezone)
    observation = {"observationID": row.id, "deploymentID": row.deployment_id, "mediaID": row.id,
                   "eventID": row.sequence_id or "", "eventStart": moment, "eventEnd": moment,
                   "observationLevel": "media", "observationType": UNCLASSIFIED}
    label = row.label
    if label is None:  # pending or failed: nobody has classified it yet
        return observation
    taxon = SCIENTIFIC_NAME.get(label.group)
    tags = [f"group:{label.group}"] + ([f"label:{_tag(label.label)}"] if label.label else [])
    if label.model:
        tags.append(f"model:{label.model.name}:{label.model.version}")
    return observation | {
        "observationType": OBSERVATION_TYPE[label.group], "scientificName": taxon[0] if taxon else "",
        "classificationMethod": label.method, "classifiedBy": label.classified_by,
        "classificationTimestamp": local_time(label.classified_at, trap.timezone),
        "classificationProbability": "" if label.confidence is None else f"{label.confidence:.6g}",
        "observationTags": "|".join(tags)}


def deployment_row(trap: Trap, coverage: Coverage, context: ExportContext) -> dict:
    seen = coverage.per_trap.get(trap.id)
    start = trap.start or (seen[0] if seen else trap.created_at)
    end = trap.end or (seen[1] if seen else max(start, trap.created_at))
    uncertainty = context.uncertainty_m(trap.latitude)
    tags = f"precision:{context.precision}"
    elevation_m = getattr(trap, "elevation_m", None)  # exact traps only: the coarse model has no elevation
    if elevation_m is not None:
        tags += f"|elevation_m:{elevation_m:g}"
    return {"deploymentID": trap.id, "locationID": trap.id, "locationName": trap.name,
            "latitude": f"{trap.latitude:.6f}", "longitude": f"{trap.longitude:.6f}",
            "coordinateUncertainty": "" if uncertainty is None else str(uncertainty),
            "deploymentStart": local_time(start, trap.timezone), "deploymentEnd": local_time(max(end, start), trap.timezone),
            "cameraModel": coverage.cameras.get(trap.id, ""), "deploymentTags": tags,
            "deploymentComments": getattr(trap, "notes", None) or ""}  # notes: exact traps only


def _spatial(traps: list[Trap], context: ExportContext) -> dict:
    """The bounding box of the deployments as a GeoJSON polygon; for a coarse export the
    whole cells around the centres, so the box claims no more precision than the points."""
    if not traps:  # an empty export: nothing is located anywhere in particular
        return {"type": "Polygon", "coordinates": [[[-180, -90], [180, -90], [180, 90], [-180, 90], [-180, -90]]]}
    half = (context.cell_deg or 0) / 2
    west, east = min(t.longitude for t in traps) - half, max(t.longitude for t in traps) + half
    south, north = min(t.latitude for t in traps) - half, max(t.latitude for t in traps) + half
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def datapackage(traps: list[Trap], coverage: Coverage, context: ExportContext) -> dict:
    """``datapackage.json``: profile and resources of Camtrap DP 1.0.2, coverage computed."""
    first = coverage.first or min((t.start or t.created_at for t in traps), default=context.created)
    last = coverage.last or max((t.end or t.updated_at for t in traps), default=context.created)
    where = ("exact trap positions" if context.exact else
             f"trap positions snapped to the centre of a {context.cell_deg:g} degree grid cell (sensitive "
             "species' sightings are not included)")
    package = {
        "resources": [{"name": name, "path": f"{name}.csv", "profile": "tabular-data-resource", "format": "csv",
                       "mediatype": "text/csv", "encoding": "utf-8", "schema": url}
                      for name, url in SCHEMA_URLS.items()],
        "profile": PROFILE_URL,
        "name": f"ailurus-export-{context.created:%Y%m%d%H%M%S}",
        "id": str(uuid.uuid4()),
        "created": context.created.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "title": f"{context.project_title}: camera-trap export",
        "description": f"{coverage.media} media exported by Ailurus with {where}. Labels: the reviewer's where "
                       "reviewed, else the classifier's (classificationMethod says which). Media showing people "
                       "are not public and carry no file.",
        "contributors": [{"title": context.publisher, "role": "publisher"}],
        "project": {"title": context.project_title, "samplingDesign": "opportunistic",
                    "captureMethod": ["activityDetection"], "individualAnimals": False, "observationLevel": ["media"]},
        "spatial": _spatial(traps, context),
        "temporal": {"start": f"{min(first, last):%Y-%m-%d}", "end": f"{max(first, last):%Y-%m-%d}"},
        "taxonomic": [{"scientificName": SCIENTIFIC_NAME[g][0], "taxonRank": SCIENTIFIC_NAME[g][1]}
                      for g in sorted(coverage.taxa)],
    }
    if context.cell_deg is not None:
        package["coordinatePrecision"] = context.cell_deg
    return package


class _CsvOut:
    """A CSV table written into an open archive entry, or into a spool to be copied later."""

    def __init__(self, target: IO[str], header: list[str]) -> None:
        self.target = target
        self.writer = csv.DictWriter(target, header, lineterminator="\n")
        self.writer.writeheader()


async def camtrap_dp_zip(entries: Entries, traps: dict[str, Trap], context: ExportContext,
                         read_file: ReadFile) -> AsyncIterator[bytes]:
    """The package's bytes, in chunks, as the rows arrive."""
    archive = StreamingZip()
    coverage = Coverage()
    observations = _CsvOut(_spool(), OBSERVATION_FIELDS)
    # With files in the package, they are written as the rows come: the media table waits in a spool.
    media_entry = None if context.include_media else io.TextIOWrapper(archive.open("media.csv"), encoding="utf-8",
                                                                       newline="")
    media = _CsvOut(media_entry or _spool(), MEDIA_FIELDS)
    async for row, location in entries:
        trap = traps.get(row.deployment_id)
        if trap is None:  # the trap was deleted while the export ran
            continue
        coverage.add(row)
        in_package = None
        if context.include_media and location is not None and not row.shows_people:
            data = await read_file(location)
            if data is not None:
                in_package = file_name_in_package(row, "image/jpeg" if location[0] == PROCESSED else row.media_type)
                archive.write_entry(in_package, data)
        media.writer.writerow(media_row(row, trap, context, in_package))
        observations.writer.writerow(observation_row(row, trap))
        if archive.sink.buffered_bytes >= CHUNK_BYTES:
            yield archive.drain()
    for name, table in (("media.csv", media), ("observations.csv", observations)):
        if table.target is media_entry:
            media_entry.close()  # finishes the entry
            continue
        table.target.seek(0)
        with io.TextIOWrapper(archive.open(name), encoding="utf-8", newline="") as out:
            while block := table.target.read(CHUNK_BYTES):
                out.write(block)
                if archive.sink.buffered_bytes >= CHUNK_BYTES:
                    yield archive.drain()
        table.target.close()
    listed = [t for t in traps.values() if t.id in coverage.per_trap] or list(traps.values())
    deployments = io.StringIO()
    writer = csv.DictWriter(deployments, DEPLOYMENT_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(deployment_row(t, coverage, context) for t in listed)
    archive.write_entry("deployments.csv", deployments.getvalue().encode())
    archive.write_entry("datapackage.json", json.dumps(datapackage(listed, coverage, context), indent=2).encode())
    yield archive.close()

