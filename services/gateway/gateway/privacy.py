"""Location privacy: the red panda is Endangered, so exact trap positions with sightings
are poaching intelligence. This is the grid arithmetic coarse callers get: positions
snapped to the centre of a grid cell, sensitive sightings only in cells with at least a
minimum count, query boxes grown to whole cells. ``gateway.views`` applies it."""

import math
from dataclasses import dataclass

from ailurus_common.domain import Group

Cell = tuple[float, float]  # (latitude, longitude) of a cell's centre


@dataclass(frozen=True)
class PrivacyPolicy:
    cell_deg: float
    min_count: int
    sensitive_groups: frozenset[str]

    @property
    def precision(self) -> str:
        return f"cell:{self.cell_deg:g}deg"

    def snap(self, latitude: float, longitude: float) -> Cell:
        """The centre of the grid cell holding the point."""
        def centre(value: float, limit: float) -> float:
            cell = math.floor(value / self.cell_deg) * self.cell_deg + self.cell_deg / 2
            return round(max(-limit, min(limit, cell)), 6)
        return centre(latitude, 90.0), centre(longitude, 180.0)

    def counts(self, counts: dict[Group, int], cell_totals: dict[Group, int]) -> dict[Group, int]:
        """Counts with sensitive groups dropped where their cell has fewer than ``min_count``."""
        return {g: n for g, n in counts.items()
                if g not in self.sensitive_groups or cell_totals.get(g, 0) >= self.min_count}

    def bbox(self, bbox: str | None) -> str | None:
        """The box grown outward to whole cells, so tiny boxes cannot probe inside a cell."""
        if bbox is None:
            return None
        try:
            min_lon, min_lat, max_lon, max_lat = values = [float(v) for v in bbox.split(",")]
        except ValueError:
            return bbox  # ingest answers the malformed box with a clear 400
        if len(values) != 4 or not all(math.isfinite(v) for v in values):
            return bbox  # inf, nan: ingest's range check answers 400
        step = self.cell_deg
        grown = (math.floor(min_lon / step) * step, math.floor(min_lat / step) * step,
                 math.ceil(max_lon / step) * step, math.ceil(max_lat / step) * step)
        limits = (-180.0, -90.0, 180.0, 90.0)
        clamped = [max(-abs(lim), min(abs(lim), round(v, 6))) for v, lim in zip(grown, limits, strict=True)]
        return ",".join(f"{v:g}" for v in clamped)

    def heat_floor(self, group: Group) -> int:
        """The weight under which a cell's heat is not shown."""
        return self.min_count if group in self.sensitive_groups else 1
