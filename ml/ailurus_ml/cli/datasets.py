"""``ailurus datasets import|from-reviews|list|show``: dataset snapshots in the ``datasets`` container."""

import argparse
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from ailurus_common.auth.service import ServiceTokens
from ailurus_common.clients.ingest import IngestClient
from ailurus_common.records import Media
from ailurus_ml.cli.blobs import with_snapshots
from ailurus_ml.cli.output import emit_json, progress_bar, table
from ailurus_ml.config import MlSettings
from ailurus_ml.datasets.camtrapdp import list_camtrapdp, package_name
from ailurus_ml.datasets.coco import list_coco
from ailurus_ml.datasets.folder import Layout, list_folder
from ailurus_ml.datasets.importer import ImportOutcome, import_listing
from ailurus_ml.datasets.labels import LabelResolver, load_label_map
from ailurus_ml.datasets.reviews import list_reviews
from ailurus_ml.datasets.source import SourceListing
from ailurus_ml.datasets.store import SnapshotStore, slug, validate_name
from ailurus_ml.datasets.summary import NO_SITE, summarise
from ailurus_ml.errors import BadSource, MlError, MlErrorCode
from ailurus_ml.manifest import DatasetManifest, SourceFormat

IMPORT_FORMATS = (SourceFormat.FOLDER, SourceFormat.COCO, SourceFormat.CAMTRAPDP)
PROBLEMS_SHOWN = 20  # in human output; --json lists them all
REVIEWS_NAME = "reviews"

T = TypeVar("T")


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add ``datasets import|list|show`` to the ``ailurus`` parser."""
    parser = commands.add_parser("datasets", help="import, list and show dataset snapshots")
    # A group without its command (`ailurus datasets`) is a usage error (exit 2), not a silent 0.
    actions = parser.add_subparsers(dest="action", required=True)

    importer = actions.add_parser("import", help="import a labelled image collection as a new snapshot")
    importer.add_argument("path", type=Path, help="folder tree, COCO Camera Traps .json file, or Camtrap DP package folder")
    importer.add_argument("--format", required=True, choices=[str(f) for f in IMPORT_FORMATS], dest="source_format")
    importer.add_argument("--name", help="snapshot name (default: from the path)")
    importer.add_argument("--label-map", type=Path, help='JSON {"source label": "class", ...}; unnamed labels are left out')
    importer.add_argument("--layout", choices=[str(layout) for layout in Layout], default=None,
                          help="folder only: <class>/<file> or <site>/<class>/<file> (default: detected)")
    importer.add_argument("--images", type=Path, help="coco only: the folder file_name paths start from "
                                                      "(default: the JSON file's folder)")
    importer.add_argument("--json", action="store_true", help="one JSON document on stdout, no progress bar")
    importer.set_defaults(run=run_import)

    reviews = actions.add_parser("from-reviews", help="a snapshot of the labels reviewers gave in the dashboard/API")
    reviews.add_argument("--name", default=REVIEWS_NAME, help=f"snapshot name (default: {REVIEWS_NAME})")
    reviews.add_argument("--trap", help="only this trap's media")
    reviews.add_argument("--include-machine", action="store_true",
                         help="also media no one reviewed, with the model's own label (not for training by default)")
    reviews.add_argument("--label-map", type=Path, help='JSON {"source label": "class", ...}; unnamed labels are left out')
    reviews.add_argument("--json", action="store_true", help="one JSON document on stdout, no progress bar")
    reviews.set_defaults(run=run_from_reviews)

    lister = actions.add_parser("list", help="every snapshot, oldest first")
    lister.add_argument("--json", action="store_true")
    lister.set_defaults(run=run_list)

    shower = actions.add_parser("show", help="counts per class and per site, and the problems of one snapshot")
    shower.add_argument("id")
    shower.add_argument("--json", action="store_true")
    shower.set_defaults(run=run_show)


def _settings() -> MlSettings:
    try:
        return MlSettings()
    except ValidationError as exc:
        problems = "; ".join(f"ML_{'_'.join(map(str, error['loc'])).upper()}: {error['msg']}" for error in exc.errors())
        raise MlError(f"bad settings: {problems}", code=MlErrorCode.BAD_SETTINGS) from None


def _listing(args: argparse.Namespace) -> tuple[SourceListing, str]:
    """The source's files and a default snapshot name."""
    path: Path = args.path
    source_format = SourceFormat(args.source_format)
    if args.layout and source_format is not SourceFormat.FOLDER:
        raise BadSource("--layout applies to --format folder only")
    if args.images and source_format is not SourceFormat.COCO:
        raise BadSource("--images applies to --format coco only")
    if not path.exists():
        raise BadSource(f"{path} does not exist")
    if source_format is SourceFormat.FOLDER:
        listing, _layout = list_folder(path, Layout(args.layout or Layout.AUTO))
        return listing, slug(path.resolve().name)
    if source_format is SourceFormat.COCO:
        return list_coco(path, args.images), slug(path.stem)
    return list_camtrapdp(path), slug(package_name(path) or path.resolve().name)


def run_import(args: argparse.Namespace) -> int:
    """``datasets import``: read the source, store new images, write the snapshot once."""
    settings = _settings()
    labels = LabelResolver(load_label_map(args.label_map)) if args.label_map else LabelResolver()
    listing, default_name = _listing(args)
    name = validate_name(args.name) if args.name else default_name

    async def work(store: SnapshotStore) -> ImportOutcome:
        with progress_bar(len(listing.files), description=f"import {name}", enabled=not args.json) as advance:
            return await import_listing(listing, store=store, name=name, source_format=SourceFormat(args.source_format),
                                        labels=labels, limits=settings.image_limits(),
                                        concurrency=settings.import_concurrency, progress=advance)

    outcome = with_snapshots(settings, work, create=True)
    summary = summarise(outcome.manifest, with_problems=True)
    if args.json:
        emit_json({"created": outcome.created, "images_written": outcome.images_written,
                   "files_seen": len(listing.files) + len(listing.problems), "snapshot": summary})
        return 0
    state = "new snapshot" if outcome.created else "already imported: existing snapshot, unchanged"
    print(f"{outcome.manifest.id}  {state}; {outcome.images_written} new images stored")
    _print_details(outcome.manifest, summary)
    return 0


async def _reviewed_media(settings: MlSettings, trap: str | None) -> list[Media]:
    """Every media record of ingest (of one trap), page by page."""
    if settings.auth_mode == "local" and not settings.auth_key_path.is_file():
        raise MlError(f"no signing key at {settings.auth_key_path}: start the stack once (`make run`) or set "
                      "ML_AUTH_KEY_PATH to the key the services use", code=MlErrorCode.BAD_SETTINGS)
    client = IngestClient(settings.ingest_url, timeout_s=settings.ingest_timeout_s, tokens=ServiceTokens(settings))
    records: list[Media] = []
    try:
        cursor = None
        while True:
            page = await client.list_media(trap_id=trap, limit=settings.ingest_page_size, cursor=cursor)
            records.extend(page.items)
            cursor = page.next_cursor
            if not cursor:
                return records
    finally:
        await client.close()


def run_from_reviews(args: argparse.Namespace) -> int:
    """``datasets from-reviews``: the reviewed media of ingest, originals from uploads/."""
    settings = _settings()
    labels = LabelResolver(load_label_map(args.label_map)) if args.label_map else LabelResolver()
    name = validate_name(args.name)
    seen = 0

    async def work(store: SnapshotStore) -> ImportOutcome:
        nonlocal seen
        listing, seen = list_reviews(await _reviewed_media(settings, args.trap), include_machine=args.include_machine)
        with progress_bar(len(listing.files), description=f"import {name}", enabled=not args.json) as advance:
            return await import_listing(listing, store=store, name=name, source_format=SourceFormat.REVIEWS,
                                        labels=labels, limits=settings.image_limits(),
                                        concurrency=settings.import_concurrency, progress=advance)

    outcome = with_snapshots(settings, work, create=True)
    summary = summarise(outcome.manifest, with_problems=True)
    if args.json:
        emit_json({"created": outcome.created, "images_written": outcome.images_written, "media_seen": seen,
                   "snapshot": summary})
        return 0
    state = "new snapshot" if outcome.created else "nothing new since: existing snapshot, unchanged"
    print(f"{outcome.manifest.id}  {state}; {seen} media seen, {outcome.images_written} new images stored")
    _print_details(outcome.manifest, summary)
    return 0


def run_list(args: argparse.Namespace) -> int:
    """``datasets list``: one line per snapshot."""
    manifests = with_snapshots(_settings(), lambda store: store.list())
    summaries = [summarise(manifest) for manifest in manifests]
    if args.json:
        emit_json({"snapshots": summaries})
        return 0
    if not summaries:
        print("no snapshots yet: `ailurus datasets import PATH --format folder|coco|camtrapdp`")
        return 0
    print(table(["id", "format", "created", "images", "classes", "sites", "problems"],
                [[s["id"], s["source_format"], s["created_at"][:19], s["images"], len(s["classes"]), len(s["per_site"]),
                  s["problems"]] for s in summaries]))
    return 0


def run_show(args: argparse.Namespace) -> int:
    """``datasets show ID``: counts per class and site, and the problems."""
    manifest = with_snapshots(_settings(), lambda store: store.load(args.id))
    summary = summarise(manifest, with_problems=True)
    if args.json:
        emit_json({"snapshot": summary})
        return 0
    print(f"{manifest.id}  ({manifest.source_format}, created {manifest.created_at.isoformat(timespec='seconds')})")
    _print_details(manifest, summary)
    return 0


def _print_details(manifest: DatasetManifest, summary: dict[str, Any]) -> None:
    sites = list(summary["per_site"])
    print(", ".join(_count(n, noun) for n, noun in [(summary["images"], "image"), (len(summary["classes"]), "class"),
                                                    (len(sites), "site"), (summary["problems"], "problem")]))
    if summary["images"]:
        rows = [[label, *(summary["per_site_class"][site].get(label, 0) for site in sites), total]
                for label, total in summary["per_class"].items()]
        rows.append(["total", *(summary["per_site"][site] for site in sites), summary["images"]])
        print()
        print(table(["class", *sites, "total"], rows))
        if sites == [NO_SITE]:
            print("(no site information: evaluation cannot hold out sites)")
    if manifest.problems:
        print()
        print("problems: " + ", ".join(f"{code} {count}" for code, count in summary["problems_per_code"].items()))
        for problem in manifest.problems[:PROBLEMS_SHOWN]:
            print(f"  {problem.code:<18} {problem.source}: {problem.message}")
        if len(manifest.problems) > PROBLEMS_SHOWN:
            print(f"  ... and {len(manifest.problems) - PROBLEMS_SHOWN} more (--json lists all)")


def _count(number: int, noun: str) -> str:
    plural = noun + ("es" if noun.endswith("s") else "s")
    return f"{number} {noun if number == 1 else plural}"
