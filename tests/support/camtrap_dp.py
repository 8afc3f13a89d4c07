"""Validate a Camtrap DP 1.0.2 package with frictionless against the OFFICIAL profile and
table schemas (``../shared/reference/camtrap-dp-1.0.2/``), offline.

A package names its profile and table schemas by their published URLs; here each URL is
rewritten to the local copy of the same file before frictionless reads it. The profile
itself starts with ``allOf: [{"$ref": <Frictionless Data Package JSON Schema>}]``: that one
remote document is answered with frictionless's own built-in Data Package profile (the same
standard, shipped inside frictionless), and its GeoJSON ``$ref`` with the GeoJSON schema
frictionless ships; every other ``$ref`` is a local file.
"""

import json
import shutil
import tempfile
from pathlib import Path

import frictionless
from frictionless import FrictionlessException, Package
from frictionless.metadata import Metadata

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "camtrap-dp-1.0.2"
PUBLISHED = "https://raw.githubusercontent.com/tdwg/camtrap-dp/1.0.2/"
DATA_PACKAGE_PROFILE_URL = "https://specs.frictionlessdata.io/schemas/data-package.json"
GEOJSON_URL = "http://json.schemastore.org/geojson.json"


def reference_dir() -> Path:
    """The official files, beside the repository in ``shared/`` (as on every machine here)."""
    if not (REFERENCE / "camtrap-dp-profile.json").is_file():
        raise FileNotFoundError(f"Camtrap DP 1.0.2 reference files not found in {REFERENCE}")
    return REFERENCE


def _local(url: str) -> str:
    if not url.startswith(PUBLISHED):
        raise AssertionError(f"{url} is not a Camtrap DP 1.0.2 URL")
    return str(reference_dir() / url.removeprefix(PUBLISHED))


_original_retrieve = Metadata.metadata_retrieve_json_schema.__func__


def _retrieve(cls, uri, *, context):
    from referencing import Resource
    from referencing.jsonschema import DRAFT202012
    if uri == DATA_PACKAGE_PROFILE_URL:
        return Resource.from_contents(Package.metadata_ensure_profile(), default_specification=DRAFT202012)
    if uri == GEOJSON_URL:
        bundled = Path(frictionless.__file__).parent / "assets" / "profiles" / "geojson.json"
        return Resource.from_contents(json.loads(bundled.read_text(encoding="utf-8")),
                                      default_specification=DRAFT202012)
    return _original_retrieve(cls, uri, context=context)


def package_errors(package_dir: Path, work_dir: Path) -> list[str]:
    """What frictionless finds wrong with the package in ``package_dir`` (copied to
    ``work_dir`` with the official URLs pointing at the local reference files); empty: valid."""
    copy = Path(tempfile.mkdtemp(dir=work_dir)) / "package"
    shutil.copytree(package_dir, copy)
    descriptor = json.loads((copy / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["profile"] == PUBLISHED + "camtrap-dp-profile.json"
    descriptor["profile"] = _local(descriptor["profile"])
    for resource in descriptor["resources"]:
        if isinstance(resource.get("schema"), str):
            resource["schema"] = _local(resource["schema"])
    (copy / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    Metadata.metadata_retrieve_json_schema = classmethod(_retrieve)
    try:
        with frictionless.system.use_context(trusted=True):
            report = Package(str(copy / "datapackage.json")).validate()
    except FrictionlessException as exc:  # the descriptor itself breaks the profile
        return [exc.error.message, *(reason.message for reason in exc.reasons)]
    finally:
        Metadata.metadata_retrieve_json_schema = classmethod(_original_retrieve)
    notes = [error.message for error in report.errors]
    for task in report.tasks:
        notes += [f"{task.name}: {error.message}" for error in task.errors]
    return notes
