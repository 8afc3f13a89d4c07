"""The chart's alert rules through Prometheus's own promtool: they parse (PromQL and
annotation templates), and alerts_test.yaml's scenarios fire exactly the expected alerts.

promtool comes from Debian's ``prometheus`` package (or set PROMTOOL to a binary); without
it these tests skip.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

CHART_ALERTS = Path(__file__).resolve().parents[2] / "helm" / "ailurus" / "alerts"
UNIT_TESTS = Path(__file__).with_name("alerts_test.yaml")
# make install puts promtool next to this environment's python.
PROMTOOL = os.environ.get("PROMTOOL") or shutil.which("promtool", path=f"{Path(sys.executable).parent}{os.pathsep}"
                                                                        f"{os.environ.get('PATH', '')}")

pytestmark = pytest.mark.skipif(PROMTOOL is None, reason="promtool not found (apt-get install prometheus, or set PROMTOOL)")


def promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def test_check_alert_rules_with_promtool():
    result = promtool("check", "rules", *map(str, sorted(CHART_ALERTS.glob("*.yaml"))))

    assert result.returncode == 0, result.stdout + result.stderr


def test_evaluate_alert_rules_fire_as_unit_tests_expect(tmp_path: Path):
    for path in CHART_ALERTS.glob("*.yaml"):
        doc = yaml.safe_load(path.read_text())
        for group in doc["groups"]:
            for rule in group["rules"]:
                rule.pop("annotations", None)  # promtool compares them verbatim; the wording is not under test
        (tmp_path / path.name).write_text(yaml.safe_dump(doc, sort_keys=False))
    shutil.copy(UNIT_TESTS, tmp_path / UNIT_TESTS.name)
    listed = set(yaml.safe_load(UNIT_TESTS.read_text())["rule_files"])

    result = promtool("test", "rules", UNIT_TESTS.name, cwd=tmp_path)

    assert listed == {p.name for p in CHART_ALERTS.glob("*.yaml")}, "alerts_test.yaml must load every alert file"
    assert result.returncode == 0, result.stdout + result.stderr
