"""``ailurus jobs submit``: one source of three, refused before any request when the flags
do not make one (the requests themselves: tests/e2e/test_batch_jobs.py, test_job_sources.py)."""

import argparse
import json

import pytest

from ailurus_ml.cli import main
from ailurus_ml.cli.jobs import _submission


def args(**fields) -> argparse.Namespace:
    values = {"container": None, "prefix": "", "dataset": None, "reclassify": None, "trap": None} | fields
    return argparse.Namespace(**values)


def test_submission_builds_each_source_kind():
    assert _submission(args(container="backlog", prefix="c/", trap="t")) == {
        "source": {"container": "backlog", "prefix": "c/"}, "trap_id": "t"}
    assert _submission(args(dataset="field-0123456789ab", trap="t")) == {
        "source": {"dataset": "field-0123456789ab"}, "trap_id": "t"}
    assert _submission(args(reclassify="ailurus_alt:1")) == {
        "source": {"reclassify": {"model": "ailurus_alt:1", "trap_id": None}}}
    assert _submission(args(reclassify="ailurus_alt:1", trap="t"))["source"]["reclassify"]["trap_id"] == "t"


@pytest.mark.parametrize("argv", [
    ["--dataset", "field-0123456789ab"],  # no trap
    ["--container", "backlog", "--reclassify", "ailurus_alt:1"],  # two sources
    [],  # none
])
def test_submit_without_exactly_one_source_is_refused_before_any_request(argv, capsys, monkeypatch):
    monkeypatch.setenv("AILURUS_TOKEN", "not-used")
    monkeypatch.setenv("AILURUS_URL", "http://127.0.0.1:9")  # nothing listens: no request may be needed
    assert main(["jobs", "submit", *argv, "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "invalid_request"
