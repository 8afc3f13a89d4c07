"""The MegaDetector project's own ``validate_batch_results``, run in its isolated venv
(``.venv-md/``, made by ``scripts/md_venv.sh``: megadetector-utils pins the non-headless
opencv-python, which would clash with the services' headless one in ``.venv``)."""

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MD_PYTHON = ROOT / ".venv-md" / "bin" / "python"

_VALIDATE = """
import json, sys
from megadetector.postprocessing.validate_batch_results import ValidateBatchResultsOptions, validate_batch_results
options = ValidateBatchResultsOptions()
options.raise_errors = False
options.check_image_existence = False
results = validate_batch_results(sys.argv[1], options)["validation_results"]
print(json.dumps({"errors": results["errors"], "warnings": results["warnings"]}))
"""


def ensure_md_venv() -> Path:
    """The validator's interpreter, installed on first use (idempotent, a stamp per requirements)."""
    subprocess.run(["bash", str(ROOT / "scripts" / "md_venv.sh")], check=True, timeout=900)
    return MD_PYTHON


def validate_batch_file(path: Path) -> dict[str, list[str]]:
    """``{"errors": [...], "warnings": [...]}`` as the MegaDetector validator reports them."""
    done = subprocess.run([str(ensure_md_venv()), "-c", _VALIDATE, str(path)], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
