"""Schemathesis with every check over the gateway's served OpenAPI, once per kind of
caller, against a whole stack: no server error, no undocumented status, no answer outside
its schema, no schema-valid request refused by validation, no invalid one accepted, the
right answer to undeclared methods. The one tuning is in schemathesis.toml beside this file
(400 is the answer to rules a schema cannot state; 413 a refusal of a body too large).

The event stream is left out: it never ends by design (tests/e2e cover it)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.report import markdown_table
from tests.support.stacks import running_stack, stack_config

pytestmark = pytest.mark.slow
HERE = Path(__file__).resolve().parent
CALLERS = {"admin": ("admin", False), "reviewer": ("reviewer", False), "uploader": ("uploader", False),
           "viewer": ("viewer", False), "partner-admin": ("admin", True), "partner-viewer": ("viewer", True),
           "anonymous": (None, False)}
MAX_EXAMPLES = 25
SEED = 20261202


@pytest.fixture(scope="module")
def stack(triton, tmp_path_factory):
    config = stack_config(tmp_path_factory.mktemp("fuzz"), backend="local", triton_grpc_url=triton.grpc_url)
    with running_stack(config) as stack:
        yield stack


@pytest.fixture(scope="module")
def report():
    with markdown_table("schemathesis.md", ["caller", "cases", "failures", "skipped"]) as rows:
        yield rows


@pytest.mark.parametrize("caller", list(CALLERS))
def test_schemathesis_all_checks_find_nothing(stack, report, caller, tmp_path):
    role, app_only = CALLERS[caller]
    headers = ["-H", f"Authorization: Bearer {stack.token(role, app_only=app_only)}"] if role else []
    cli = Path(sys.executable).with_name("schemathesis")
    run = subprocess.run(
        [str(cli), "--no-color", "--config-file", str(HERE / "schemathesis.toml"), "run",
         f"{stack.gateway_url}/api/v1/openapi.json", "--checks", "all", *headers,
         "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED), "--workers", "1",
         "--exclude-path-regex", "/events$", "--request-timeout", "30"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)  # its cache stays out of the tree
    summary = re.search(r"(\d+) generated, (?:(\d+) passed|(\d+) found (\d+) unique failures)(?:, (\d+) skipped)?",
                        run.stdout)
    assert summary, run.stdout[-3000:]
    cases, failures, skipped = summary.group(1), summary.group(4) or "0", summary.group(5) or "0"
    report.append(f"| {caller} | {cases} | {failures} | {skipped} |")
    assert run.returncode == 0, run.stdout[-6000:]
