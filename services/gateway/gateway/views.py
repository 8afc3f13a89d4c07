"""What a caller sees of the records ingest returns, by the precision they may see.

``ExactView`` (signed-in reviewers and admins) and ``CoarseView`` (everyone else) are the
only builders of the public models in ``gateway.schemas``. Both copy a record's fields by
the target model's own field list (``_pick``), so a field the model does not name is never
copied: what a coarse caller gets is decided by the coarse models, not by what is removed.
"""

from typing import Any, TypeVar

from pydantic import BaseModel

from ailurus_common.contracts.ingest import Analytics, Heatmap, MediaPage, TrapCollection, TrapDetail, TrapList
from ailurus_common.domain import Group
from ailurus_common.records import Deployment, Media
from gateway.privacy import Cell, PrivacyPolicy
from gateway.schemas import (
    EXACT,
    ExifCoarse,
    ExifExact,
    HeatmapOut,
    MediaCoarse,
    MediaExact,
    MediaPageCoarse,
    MediaPageExact,
    ObservationCoarse,
    ObservationExact,
    Point,
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


class ExactView:
    """Exact positions: signed-in reviewers and admins."""

    precision = EXACT
    # Per-trap analytics need the traps' cells only where counts are thinned by cell.
    needs_traps_for_analytics = False

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

    def media_page(self, page: MediaPage) -> MediaPageExact:
        return MediaPageExact(items=[self.media(m) for m in page.items], next_cursor=page.next_cursor)

    def trap_map(self, collection: TrapCollection) -> TrapMapExact:
        return TrapMapExact(features=[
            TrapFeatureExact(id=f.id, geometry=Point(coordinates=f.geometry.coordinates),
                             properties=_pick(TrapPropertiesExact, f.properties))
            for f in collection.features])

    def bbox(self, bbox: str | None) -> str | None:
        return bbox

    def heatmap(self, heat: Heatmap) -> HeatmapOut:
        return HeatmapOut(group=heat.group, points=heat.points, precision=EXACT)

    def analytics(self, analytics: Analytics, traps: TrapList | None) -> Analytics:
        return analytics


class CoarseView:
    """Grid-cell positions: viewers, uploaders and every app-only (partner) token."""

    needs_traps_for_analytics = True

    def __init__(self, policy: PrivacyPolicy) -> None:
        self.policy = policy
        self.precision = policy.precision

    def trap(self, deployment: Deployment) -> TrapCoarse:
        latitude, longitude = self.policy.snap(deployment.latitude, deployment.longitude)
        return _pick(TrapCoarse, deployment, latitude=latitude, longitude=longitude,
                     location_precision=self.precision)

    def trap_detail(self, trap: TrapDetail) -> TrapDetailCoarse:
        latitude, longitude = self.policy.snap(trap.latitude, trap.longitude)
        # The trap's own counts stand for its cell here: another trap in the cell is not read
        # for one trap's page, so the rule is at least as strict as the map's.
        return _pick(TrapDetailCoarse, trap, latitude=latitude, longitude=longitude, location_precision=self.precision,
                     counts=self.policy.counts(trap.counts, trap.counts))

    def traps(self, traps: TrapList) -> TrapPageCoarse:
        return TrapPageCoarse(items=[self.trap(d) for d in traps.items])

    def media(self, media: Media) -> MediaCoarse:
        return _pick(MediaCoarse, media, exif=_pick(ExifCoarse, media.exif),
                     observations=_observations(ObservationCoarse, media),
                     has_thumbnail=media.blob_thumbnail is not None, location_precision=self.precision)

    def media_page(self, page: MediaPage) -> MediaPageCoarse:
        return MediaPageCoarse(items=[self.media(m) for m in page.items], next_cursor=page.next_cursor)

    def _cell_totals(self, positions: dict[str, Cell], counts: dict[str, dict[Group, int]]) -> dict[Cell, dict]:
        totals: dict[Cell, dict[Group, int]] = {}
        for trap_id, cell in positions.items():
            cell_counts = totals.setdefault(cell, {})
            for group, n in counts.get(trap_id, {}).items():
                cell_counts[group] = cell_counts.get(group, 0) + n
        return totals

    def trap_map(self, collection: TrapCollection) -> TrapMapCoarse:
        cells = {f.id: self.policy.snap(f.geometry.coordinates[1], f.geometry.coordinates[0])
                 for f in collection.features}
        totals = self._cell_totals(cells, {f.id: f.properties.counts for f in collection.features})
        features = []
        for f in collection.features:
            latitude, longitude = cells[f.id]
            counts = self.policy.counts(f.properties.counts, totals[cells[f.id]])
            properties = _pick(TrapPropertiesCoarse, f.properties, counts=counts, total=sum(counts.values()),
                               location_precision=self.precision)
            features.append(TrapFeatureCoarse(id=f.id, geometry=Point(coordinates=(longitude, latitude)),
                                              properties=properties))
        return TrapMapCoarse(features=features)

    def bbox(self, bbox: str | None) -> str | None:
        return self.policy.bbox(bbox)

    def heatmap(self, heat: Heatmap) -> HeatmapOut:
        """Points summed per cell; cells under the group's floor vanish."""
        cells: dict[Cell, int] = {}
        for latitude, longitude, weight in heat.points:
            key = self.policy.snap(latitude, longitude)
            cells[key] = cells.get(key, 0) + weight
        floor = self.policy.heat_floor(heat.group)
        points = [(lat, lon, n) for (lat, lon), n in sorted(cells.items()) if n >= floor]
        return HeatmapOut(group=heat.group, points=points, precision=self.precision)

    def analytics(self, analytics: Analytics, traps: TrapList | None) -> Analytics:
        """Per-trap counts with sensitive groups only where the trap's cell has the minimum."""
        cells = {d.id: self.policy.snap(d.latitude, d.longitude) for d in (traps.items if traps else [])}
        counts = {t.trap_id: t.counts for t in analytics.per_trap}
        totals = self._cell_totals(cells, counts)
        per_trap = [t.model_copy(update={"counts": self.policy.counts(t.counts, totals.get(cells.get(t.trap_id), {}))})
                    for t in analytics.per_trap]
        return analytics.model_copy(update={"per_trap": per_trap})


View = ExactView | CoarseView
