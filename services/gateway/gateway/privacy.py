"""Location privacy: the red panda is Endangered, so exact trap positions with sightings
are poaching intelligence. This is the grid arithmetic coarse callers get: positions
snapped to the centre of a grid cell, sensitive sightings only in cells with at least a
minimum count, query boxes grown to whole cells. ``gateway.views`` applies it."""

import math
from dataclasses import dataclass

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

    def cell_box(self, bbox: str | None) -> tuple[float, float, float, float] | None:
        """``min_lon,min_lat,max_lon,max_lat`` grown outward to whole cells, as numbers; None
        for no box, or one that does not parse or is out of range (answered with a 400)."""
        if bbox is None:
            return None
        try:
            values = [float(v) for v in bbox.split(",")]
        except ValueError:
            return None
        if len(values) != 4 or not all(math.isfinite(v) for v in values):
            return None
        min_lon, min_lat, max_lon, max_lat = values
        if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
            return None
        step = self.cell_deg
        grown = (math.floor(min_lon / step) * step, math.floor(min_lat / step) * step,
                 math.ceil(max_lon / step) * step, math.ceil(max_lat / step) * step)
        limits = (180.0, 90.0, 180.0, 90.0)
        lo_lon, lo_lat, hi_lon, hi_lat = (max(-lim, min(lim, round(v, 6))) for v, lim in zip(grown, limits, strict=True))
        return lo_lon, lo_lat, hi_lon, hi_lat

    def bbox(self, bbox: str | None) -> str | None:
        """The box grown outward to whole cells, so tiny boxes cannot probe inside a cell."""
        box = self.cell_box(bbox)
        if box is None:
            return bbox  # none, or malformed/inf/nan: ingest's checks answer 400
        return ",".join(f"{v:g}" for v in box)

