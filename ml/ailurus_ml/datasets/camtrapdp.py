"""Camtrap DP 1.0 packages (``../shared/reference/camtrap-dp-1.0.2``): ``datapackage.json``
with the ``deployments``, ``media`` and ``observations`` tables.

Labels: ``scientificName`` for animals, else the ``observationType`` (``blank``, ``human``,
``vehicle``, ``unknown``); ``unclassified`` is no label. The standard has two levels:
media-based observations name one ``mediaID``; event-based ones cover every media of their
deployment whose ``timestamp`` falls within ``eventStart``..``eventEnd``. A media's
media-based observations win over the event it is in (the standard keeps those for machine
learning: an animal event holds blank frames), and among either, human classifications
win over machine ones. Site: the deployment's ``locationName``, else ``locationID``, else
the ``deploymentID``.
"""

import bisect
import csv
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ailurus_ml.datasets.source import SourceFile, SourceListing, inside, read_json
from ailurus_ml.errors import BadSource
from ailurus_ml.manifest import ProblemCode

DESCRIPTOR = "datapackage.json"
TABLES = ("deployments", "media", "observations")
ANIMAL = "animal"
UNCLASSIFIED = "unclassified"
HUMAN_METHOD = "human"
MEDIA_LEVEL, EVENT_LEVEL = "media", "event"
_URL_SCHEMES = ("http://", "https://", "ftp://", "s3://", "gs://")


def parse_timestamp(value: str | None) -> datetime | None:
    """An ISO 8601 timestamp; one without an offset is read as UTC (the standard requires one)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class _Observation:
    label: str | None  # None: unclassified or an animal without a name
    human: bool


def _observation(row: dict[str, str]) -> _Observation:
    kind = (row.get("observationType") or "").strip()
    if kind == ANIMAL:
        label = (row.get("scientificName") or "").strip() or None
    else:
        label = kind if kind and kind != UNCLASSIFIED else None
    return _Observation(label=label, human=(row.get("classificationMethod") or "").strip() == HUMAN_METHOD)


def _preferred(observations: list[_Observation]) -> list[_Observation]:
    humans = [observation for observation in observations if observation.human]
    return humans or observations


def _table_paths(package: Path) -> dict[str, Path]:
    descriptor = package / DESCRIPTOR
    if not descriptor.is_file():
        raise BadSource(f"{package} is not a Camtrap DP package: no {DESCRIPTOR}")
    data = read_json(descriptor)
    resources = data.get("resources") if isinstance(data, dict) else None
    if not isinstance(resources, list):
        raise BadSource(f"{descriptor} has no 'resources' list")
    paths = {}
    for resource in resources:
        if isinstance(resource, dict) and resource.get("name") in TABLES:
            relative = resource.get("path")
            relative = relative[0] if isinstance(relative, list) and len(relative) == 1 else relative
            path = inside(package, relative) if isinstance(relative, str) else None
            if path is None:
                raise BadSource(f"{descriptor}: resource {resource['name']!r} must have one local 'path' in the package")
            paths[resource["name"]] = path
    missing = [name for name in TABLES if name not in paths]
    if missing:
        raise BadSource(f"{descriptor} lacks the resources {', '.join(missing)}")
    return paths


def _rows(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            return list(csv.DictReader(file))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise BadSource(f"{path} cannot be read as CSV: {exc}") from None


def package_name(package: Path) -> str | None:
    """The descriptor's ``name``, if any (a default snapshot name)."""
    try:
        name = json.loads((Path(package) / DESCRIPTOR).read_text(encoding="utf-8")).get("name")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        return None
    return name if isinstance(name, str) else None


def list_camtrapdp(package: Path) -> SourceListing:
    """The image media of a package with labels from its observations.

    Raises:
        BadSource: no descriptor, a table missing or not CSV.
    """
    package = Path(package)
    if not package.is_dir():
        raise BadSource(f"{package} is not a folder (--format camtrapdp expects the folder with {DESCRIPTOR})")
    tables = {name: _rows(path) for name, path in _table_paths(package).items()}
    sites = {row.get("deploymentID", ""): (row.get("locationName") or row.get("locationID") or row.get("deploymentID"))
             for row in tables["deployments"]}
    media_obs: dict[str, list[_Observation]] = defaultdict(list)
    events: dict[str, list[tuple[datetime, datetime, _Observation]]] = defaultdict(list)
    for row in tables["observations"]:
        level = (row.get("observationLevel") or "").strip()
        if level == MEDIA_LEVEL and row.get("mediaID"):
            media_obs[row["mediaID"]].append(_observation(row))
        elif level == EVENT_LEVEL:
            start, end = parse_timestamp(row.get("eventStart")), parse_timestamp(row.get("eventEnd"))
            if start and end:
                events[row.get("deploymentID", "")].append((start, end, _observation(row)))
    media = tables["media"]
    # Per deployment, media sorted by time: each event finds its media by bisection.
    timeline: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for row in media:
        moment = parse_timestamp(row.get("timestamp"))
        if moment is not None:
            timeline[row.get("deploymentID", "")].append((moment, row.get("mediaID", "")))
    for entries in timeline.values():
        entries.sort()
    event_obs: dict[str, list[_Observation]] = defaultdict(list)
    for deployment, spans in events.items():
        entries = timeline.get(deployment, [])
        moments = [moment for moment, _ in entries]
        for start, end, observation in spans:
            for _, media_id in entries[bisect.bisect_left(moments, start):bisect.bisect_right(moments, end)]:
                event_obs[media_id].append(observation)
    listing = SourceListing()
    for row in media:
        _add_media(listing, package, row, sites, media_obs, event_obs)
    return listing


def _add_media(listing: SourceListing, package: Path, row: dict[str, Any], sites: dict[str, str | None],
               media_obs: dict[str, list[_Observation]], event_obs: dict[str, list[_Observation]]) -> None:
    media_id = row.get("mediaID") or ""
    file_path = (row.get("filePath") or "").strip()
    source = f"{media_id} ({file_path})" if file_path else media_id
    if not (row.get("fileMediatype") or "image/").startswith("image/"):
        listing.problem(source, ProblemCode.UNREADABLE, f"{row.get('fileMediatype')} media are not images")
        return
    if file_path.lower().startswith(_URL_SCHEMES):
        listing.problem(source, ProblemCode.REMOTE_FILE, "filePath is a URL; imports read files inside the package only")
        return
    path = inside(package, file_path)
    if path is None:
        listing.problem(source, ProblemCode.MISSING_FILE, "filePath leaves the package")
        return
    if not path.is_file():
        listing.problem(source, ProblemCode.MISSING_FILE, f"{path} does not exist")
        return
    observations = _preferred(media_obs.get(media_id) or event_obs.get(media_id) or [])
    labels = sorted({observation.label for observation in observations if observation.label})
    deployment = row.get("deploymentID") or None
    listing.files.append(SourceFile(source=source, path=path, source_labels=tuple(labels),
                                    site=sites.get(deployment or "") or deployment, deployment=deployment,
                                    source_time=parse_timestamp(row.get("timestamp"))))
