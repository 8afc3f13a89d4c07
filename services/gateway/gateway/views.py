"""What a caller sees of the records ingest returns, by the precision they may see.

``ExactView`` (signed-in reviewers and admins) and ``CoarseView`` (everyone else) are the
only builders of the public models in ``gateway.schemas``. Both copy a record's fields by
the target model's own field list (``_pick``), so a field the model does not name is never
copied: what a coarse caller gets is decided by the coarse models, not by what is removed.

Sensitive groups reach a coarse caller by one road only: the heatmap, summed per grid cell
and calendar month, each (cell, month) shown only with the minimum count. Every other
answer is computed as if their media did not exist (ingest leaves them out of listings
and analytics, so pages, counts and series cannot be differenced into them), a media
record of one is not found, and trap counts never name them. Any query or combination of
queries then yields sums of published (cell, month) figures, each zero or at least the
minimum: nothing below cell level, a month, or the minimum count.
"""

from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel

from ailurus_common.contracts.exports import REVIEWER_ROLE, ExportItem
from ailurus_common.contracts.ingest import (
    Analytics,
    ChangePage,
    DeletedMedia,
    Heatmap,
    MediaPage,
    MonthlyHeatmap,
    ReviewDecisionResults,
    ReviewQueuePage,
    ReviewUndoResults,
    TrapCollection,
    TrapDetail,
    TrapList,
)
from ailurus_common.domain import Group, MediaStatus
from ailurus_common.records import Deployment, Media
from ailurus_common.storage.blob import PROCESSED, original_location
from gateway.privacy import Cell, PrivacyPolicy
from gateway.schemas import (
    EXACT,
    ChangePageCoarse,
    ChangePageExact,
    DeletedOut,
    ExifCoarse,
    ExifExact,
    ExportLabelCoarse,
    ExportLabelExact,
    ExportRowCoarse,
    ExportRowExact,
    HeatmapOut,
    MediaCoarse,
    MediaExact,
    MediaPageCoarse,
    MediaPageExact,
    ObservationCoarse,
    ObservationExact,
    Point,
    ReviewBurstOut,
    ReviewCountsOut,
    ReviewDecidedOut,
    ReviewDecisionsOut,
    ReviewQueueOut,
    ReviewUndoneOut,
    ReviewUndoOut,
    TrapCoarse,
    TrapDetailCoarse,
    TrapDetailExact,
    TrapExact,
    TrapFeatureCoarse,
    TrapFeatureExact,
    TrapMapCoarse,
    TrapMapExact,
    TrapPageCoarse,
    TrapPageExact,
    TrapPropertiesCoarse,
    TrapPropertiesExact,
)

P = TypeVar("P", bound=BaseModel)


def _pick(model: type[P], record: BaseModel, **values: Any) -> P:
    """``model`` from the fields of ``record`` that ``model`` names (an allow-list), with ``values`` set."""
    fields = set(model.model_fields) - set(values)
    return model.model_validate({**record.model_dump(include=fields), **values})


def _observations(model: type[P], media: Media) -> list[P]:
    return [_pick(model, o) for o in media.observations]


FileLocation = tuple[str, str]  # (container, blob name)


class ExactView:
    """Exact positions: signed-in reviewers and admins."""

    precision = EXACT
    hidden_groups: list[Group] = []  # noqa: RUF012 - read-only
    # Whether listings, exports and the change feed leave out media not yet labelled.
    hides_unlabelled = False

    def visible(self, media: Media) -> bool:
        return True

    def monthly(self, group: Group) -> bool:
        """Whether this caller's heatmap of ``group`` is built from whole (cell, month) figures."""
        return False

    def trap(self, deployment: Deployment) -> TrapExact:
        return _pick(TrapExact, deployment)

    def trap_detail(self, trap: TrapDetail) -> TrapDetailExact:
        return _pick(TrapDetailExact, trap)

    def traps(self, traps: TrapList) -> TrapPageExact:
        return TrapPageExact(items=[self.trap(d) for d in traps.items])

    def media(self, media: Media) -> MediaExact:
        return _pick(MediaExact, media, exif=_pick(ExifExact, media.exif),
                     observations=_observations(ObservationExact, media),
                     has_thumbnail=media.blob_thumbnail is not None)

    def shows_thumbnail(self, media: Media) -> bool:
        return True

    def export_row(self, item: ExportItem) -> ExportRowExact | None:
        """The row as an exact caller's export carries it (never None: every row is theirs)."""
        label = _pick(ExportLabelExact, item.label) if item.label else None
        return _pick(ExportRowExact, item, label=label)

    def export_file(self, item: ExportItem) -> FileLocation | None:
        """The file an export may include: the original, never one that shows people."""
        return None if item.shows_people else original_location(item.blob_original)

    def changes(self, page: ChangePage, *, limit: int) -> ChangePageExact:
        return ChangePageExact(items=[self.media(m) for m in page.items],
                               deleted=[_pick(DeletedOut, d) for d in page.deleted], cursor=page.cursor,
                               has_more=len(page.items) + len(page.deleted) == limit)

    def media_page(self, page: MediaPage) -> MediaPageExact:
        return MediaPageExact(items=[self.media(m) for m in page.items], next_cursor=page.next_cursor)

    # The review queue has no coarse form: it exists to show possible sensitive sightings.
    def review_queue(self, page: ReviewQueuePage) -> ReviewQueueOut:
        return ReviewQueueOut(
            items=[_pick(ReviewBurstOut, b, media=[self.media(m) for m in b.media]) for b in page.items],
            next_cursor=page.next_cursor, counts=_pick(ReviewCountsOut, page.counts))

    def review_decisions(self, results: ReviewDecisionResults) -> ReviewDecisionsOut:
        return ReviewDecisionsOut(items=[_pick(ReviewDecidedOut, d, media=self.media(d.media) if d.media else None)
                                         for d in results.items])

    def review_undo(self, results: ReviewUndoResults) -> ReviewUndoOut:
        return ReviewUndoOut(items=[_pick(ReviewUndoneOut, u, media=self.media(u.media) if u.media else None)
                                    for u in results.items])

    def trap_map(self, collection: TrapCollection) -> TrapMapExact:
        return TrapMapExact(features=[
            TrapFeatureExact(id=f.id, geometry=Point(coordinates=f.geometry.coordinates),
                             properties=_pick(TrapPropertiesExact, f.properties))
            for f in collection.features])

    def bbox(self, bbox: str | None) -> str | None:
        return bbox

    def heatmap(self, heat: Heatmap) -> HeatmapOut:
        return HeatmapOut(group=heat.group, points=heat.points, precision=EXACT)

    def analytics(self, analytics: Analytics) -> Analytics:
        return analytics


def _month(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return f"{utc.year:04d}-{utc.month:02d}"  # not strftime: glibc writes year 65 as "65"


class CoarseView:
    """Grid-cell positions: viewers, uploaders and every app-only (partner) token."""

    def __init__(self, policy: PrivacyPolicy) -> None:
        self.policy = policy
        self.precision = policy.precision
        self.hidden_groups = sorted(Group(g) for g in policy.sensitive_groups)
        # A pending media has no group yet: were it sent, a coarse caller would watch it vanish
        # from the feed the moment it is classified as a sensitive group.
        self.hides_unlabelled = True

    def visible(self, media: Media) -> bool:
        """A record of a sensitive sighting, or of one not labelled yet (it may turn out
        sensitive), is not for a coarse caller (as if not found)."""
        return media.status != MediaStatus.PENDING and media.group not in self.policy.sensitive_groups

    def monthly(self, group: Group) -> bool:
        return group in self.policy.sensitive_groups

    def _public_counts(self, counts: dict[Group, int]) -> dict[Group, int]:
        return {g: n for g, n in counts.items() if g not in self.policy.sensitive_groups}

    def trap(self, deployment: Deployment) -> TrapCoarse:
        latitude, longitude = self.policy.snap(deployment.latitude, deployment.longitude)
        return _pick(TrapCoarse, deployment, latitude=latitude, longitude=longitude,
                     location_precision=self.precision)

    def trap_detail(self, trap: TrapDetail) -> TrapDetailCoarse:
        latitude, longitude = self.policy.snap(trap.latitude, trap.longitude)
        return _pick(TrapDetailCoarse, trap, latitude=latitude, longitude=longitude, location_precision=self.precision,
                     counts=self._public_counts(trap.counts))

    def traps(self, traps: TrapList) -> TrapPageCoarse:
        return TrapPageCoarse(items=[self.trap(d) for d in traps.items])

    def media(self, media: Media) -> MediaCoarse:
        return _pick(MediaCoarse, media, exif=_pick(ExifCoarse, media.exif),
                     observations=_observations(ObservationCoarse, media),
                     has_thumbnail=self.shows_thumbnail(media), location_precision=self.precision)

    def shows_thumbnail(self, media: Media) -> bool:
        """People are personal data: a coarse caller gets no picture of a media labelled human."""
        return media.blob_thumbnail is not None and not media.shows_people()

    def export_row(self, item: ExportItem) -> ExportRowCoarse | None:
        """The row as a coarse caller's export carries it; None for a sensitive sighting or a
        media not labelled yet (ingest left those out already: a second lock)."""
        if item.status == MediaStatus.PENDING:
            return None
        if item.label is not None and item.label.group in self.policy.sensitive_groups:
            return None
        label = None
        if item.label is not None:
            machine_key = f"{item.label.model.name}:{item.label.model.version}" if item.label.model else "machine"
            classified_by = REVIEWER_ROLE if item.label.method == "human" else machine_key
            label = _pick(ExportLabelCoarse, item.label, classified_by=classified_by)
        return _pick(ExportRowCoarse, item, label=label, has_thumbnail=item.has_thumbnail and not item.shows_people)

    def export_file(self, item: ExportItem) -> FileLocation | None:
        """The thumbnail (originals carry EXIF GPS), never one that shows people."""
        if item.shows_people or not item.blob_thumbnail:
            return None
        return PROCESSED, item.blob_thumbnail

    def changes(self, page: ChangePage, *, limit: int) -> ChangePageCoarse:
        """ingest never read hidden or unlabelled media (so the cursor cannot step over them);
        the filter here is a second lock."""
        return ChangePageCoarse(items=[self.media(m) for m in page.items if self.visible(m)],
                                deleted=[_pick(DeletedOut, d) for d in page.deleted if self._was_visible(d)],
                                cursor=page.cursor, has_more=len(page.items) + len(page.deleted) == limit)

    def _was_visible(self, gone: DeletedMedia) -> bool:
        return gone.status != MediaStatus.PENDING and gone.group not in self.policy.sensitive_groups

    def media_page(self, page: MediaPage) -> MediaPageCoarse:
        # ingest already left sensitive media out (hidden_groups): the filter here is a second lock.
        return MediaPageCoarse(items=[self.media(m) for m in page.items if self.visible(m)],
                               next_cursor=page.next_cursor)

    def trap_map(self, collection: TrapCollection) -> TrapMapCoarse:
        features = []
        for f in collection.features:
            latitude, longitude = self.policy.snap(f.geometry.coordinates[1], f.geometry.coordinates[0])
            counts = self._public_counts(f.properties.counts)
            properties = _pick(TrapPropertiesCoarse, f.properties, counts=counts, total=sum(counts.values()),
                               location_precision=self.precision)
            features.append(TrapFeatureCoarse(id=f.id, geometry=Point(coordinates=(longitude, latitude)),
                                              properties=properties))
        return TrapMapCoarse(features=features)

    def bbox(self, bbox: str | None) -> str | None:
        return self.policy.bbox(bbox)

    def heatmap(self, heat: Heatmap) -> HeatmapOut:
        """A group that is not sensitive: points summed per cell."""
        cells: dict[Cell, int] = {}
        for latitude, longitude, weight in heat.points:
            key = self.policy.snap(latitude, longitude)
            cells[key] = cells.get(key, 0) + weight
        return HeatmapOut(group=heat.group, points=[(lat, lon, n) for (lat, lon), n in sorted(cells.items())],
                          precision=self.precision)

    @staticmethod
    def months(start: datetime | None, end: datetime | None) -> tuple[str | None, str | None]:
        """The window widened to whole months: every month it touches (``end`` is exclusive)."""
        if start is None and end is None:
            return None, None
        first = _month(start) if start else "1970-01"
        try:
            last = _month(end - timedelta(microseconds=1)) if end else _month(datetime.now(UTC))
        except OverflowError:  # an end at the calendar's first instant
            last = first
        return first, max(first, last)

    def monthly_heatmap(self, heat: MonthlyHeatmap, bbox: str | None) -> HeatmapOut:
        """Sums of whole (cell, month) figures, each counted only at the minimum; cells are
        kept by their centre within the box grown to whole cells (a trap on a cell line
        cannot be pinned by boxes that meet there)."""
        per_month: dict[tuple[Cell, str], int] = {}
        for latitude, longitude, month, weight in heat.points:
            key = (self.policy.snap(latitude, longitude), month)
            per_month[key] = per_month.get(key, 0) + weight
        cells: dict[Cell, int] = {}
        for (cell, _), n in per_month.items():
            if n >= self.policy.min_count:
                cells[cell] = cells.get(cell, 0) + n
        box = self.policy.cell_box(bbox)
        points = [(lat, lon, n) for (lat, lon), n in sorted(cells.items())
                  if box is None or (box[0] <= lon <= box[2] and box[1] <= lat <= box[3])]
        return HeatmapOut(group=heat.group, points=points, precision=self.precision, time_bin="month")

    def analytics(self, analytics: Analytics) -> Analytics:
        """ingest computed it without sensitive media (hidden_groups); a second lock here."""
        public = self._public_counts
        return analytics.model_copy(update={
            "per_day": [d.model_copy(update={"counts": public(d.counts)}) for d in analytics.per_day],
            "per_trap": [t.model_copy(update={"counts": public(t.counts)}) for t in analytics.per_trap]})


View = ExactView | CoarseView
