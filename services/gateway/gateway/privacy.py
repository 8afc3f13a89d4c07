"""Location privacy: the red panda is Endangered, so exact trap positions with sightings
are poaching intelligence. Callers without the right to exact positions get every trap
position snapped to the centre of a grid cell, sensitive sightings aggregated per cell
(cells under a minimum count hidden) and GPS removed from media records.
"""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class PrivacyPolicy:
    cell_deg: float
    min_count: int
    sensitive_groups: frozenset[str]

    @property
    def precision(self) -> str:
        return f"cell:{self.cell_deg:g}deg"

    def snap(self, latitude: float, longitude: float) -> tuple[float, float]:
        """The centre of the grid cell holding the point."""
        def centre(value: float, limit: float) -> float:
            cell = math.floor(value / self.cell_deg) * self.cell_deg + self.cell_deg / 2
            return round(max(-limit, min(limit, cell)), 6)
        return centre(latitude, 90.0), centre(longitude, 180.0)

    def _counts(self, counts: dict[str, int], cell_totals: dict[str, int]) -> dict[str, int]:
        """Counts with sensitive groups dropped where their cell has fewer than ``min_count``."""
        return {g: n for g, n in counts.items()
                if g not in self.sensitive_groups or cell_totals.get(g, 0) >= self.min_count}

    def trap(self, doc: dict) -> dict:
        """A trap (deployment) as a coarse caller may see it."""
        latitude, longitude = self.snap(doc["latitude"], doc["longitude"])
        # Elevation and notes can pin a trap down inside its cell.
        coarse = {**doc, "latitude": latitude, "longitude": longitude, "elevation_m": None, "notes": None,
                  "location_precision": self.precision}
        if "counts" in doc:
            coarse["counts"] = self._counts(doc["counts"], doc["counts"])
        return coarse

    def trap_collection(self, collection: dict) -> dict:
        snapped = []
        cell_totals: dict[tuple[float, float], dict[str, int]] = {}
        for feature in collection["features"]:
            lon, lat = feature["geometry"]["coordinates"]
            cell = self.snap(lat, lon)
            snapped.append((cell, feature))
            totals = cell_totals.setdefault(cell, {})
            for group, n in feature["properties"].get("counts", {}).items():
                totals[group] = totals.get(group, 0) + n
        features = []
        for (lat, lon), feature in snapped:
            counts = self._counts(feature["properties"].get("counts", {}), cell_totals[(lat, lon)])
            properties = {**feature["properties"], "counts": counts, "total": sum(counts.values()),
                          "elevation_m": None, "location_precision": self.precision}
            features.append({**feature, "geometry": {**feature["geometry"], "coordinates": [lon, lat]},
                             "properties": properties})
        return {**collection, "features": features}

    def bbox(self, bbox: str | None) -> str | None:
        """The box grown outward to whole cells, so tiny boxes cannot probe inside a cell."""
        if bbox is None:
            return None
        try:
            min_lon, min_lat, max_lon, max_lat = (float(v) for v in bbox.split(","))
        except ValueError:
            return bbox  # ingest answers the malformed box with a clear 400
        step = self.cell_deg
        grown = (math.floor(min_lon / step) * step, math.floor(min_lat / step) * step,
                 math.ceil(max_lon / step) * step, math.ceil(max_lat / step) * step)
        limits = (-180.0, -90.0, 180.0, 90.0)
        clamped = [max(-abs(lim), min(abs(lim), round(v, 6))) for v, lim in zip(grown, limits, strict=True)]
        return ",".join(f"{v:g}" for v in clamped)

    def heatmap(self, heat: dict) -> dict:
        """Points summed per cell; for sensitive groups, cells under ``min_count`` vanish."""
        cells: dict[tuple[float, float], int] = {}
        for lat, lon, weight in heat["points"]:
            key = self.snap(lat, lon)
            cells[key] = cells.get(key, 0) + weight
        floor = self.min_count if heat.get("group") in self.sensitive_groups else 1
        points = [[lat, lon, n] for (lat, lon), n in sorted(cells.items()) if n >= floor]
        return {**heat, "points": points, "precision": self.precision}

    @staticmethod
    def media(doc: dict) -> dict:
        """A media record without the camera's GPS position."""
        exif = doc.get("exif") or {}
        return {**doc, "exif": {**exif, "gps": None}} if exif.get("gps") else doc
