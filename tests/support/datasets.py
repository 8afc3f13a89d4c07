"""The shared labelled datasets (read in place from ``../shared``, never copied into the repo)
and what their READMEs say they hold."""

from pathlib import Path

SHARED_DIR = (Path(__file__).resolve().parents[2] / ".." / "shared").resolve()
STATIONS_DIR = SHARED_DIR / "datasets" / "camtrapr-stations"
CAMTRAPDP_EXAMPLE_DIR = SHARED_DIR / "reference" / "camtrap-dp-1.0.2" / "example"

# camtrapr-stations/README.md: images per site and species code.
STATIONS_COUNTS = {
    "StationA": {"pbe": 6, "vta": 2},
    "StationB": {"mne": 10, "pbe": 10, "unid": 1, "vta": 2},
    "StationC": {"egy": 9, "pbe": 10, "tra": 17, "vta": 1},
}
STATIONS_IMAGES = 68


def station_files(station: str, species: str) -> list[Path]:
    """The photos of one species at one station, sorted."""
    return sorted((STATIONS_DIR / station / species).iterdir())
