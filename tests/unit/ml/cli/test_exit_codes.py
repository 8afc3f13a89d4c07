"""One exit-status table for every ``ailurus`` command: 0 done, 1 not done, 2 usage."""

import pytest

from ailurus_ml.cli import build_parser, main
from ailurus_ml.cli.output import EXIT_FAILURE, EXIT_OK, EXIT_USAGE


@pytest.mark.parametrize("argv", [[], ["datasets"], ["models"], ["models", "promote"], ["train"], ["nothing"]])
def test_incomplete_command_is_usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(argv)
    assert raised.value.code == EXIT_USAGE
    assert "usage:" in capsys.readouterr().err


def test_help_documents_the_exit_table() -> None:
    text = build_parser().format_help()
    for status, meaning in ((EXIT_OK, "done"), (EXIT_FAILURE, "not done"), (EXIT_USAGE, "usage error")):
        assert f"  {status}  {meaning}" in text


def test_unknown_snapshot_is_failure_in_every_group(capsys: pytest.CaptureFixture[str], tmp_path, monkeypatch) -> None:
    from ailurus_ml.config import get_settings

    monkeypatch.setenv("ML_BLOB_ROOT", str(tmp_path / "blobs"))
    monkeypatch.setenv("ML_REGISTRY_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("ML_ARTIFACT_ROOT", str(tmp_path / "artifacts"))
    get_settings.cache_clear()
    try:
        assert main(["datasets", "show", "nothing-0123456789ab", "--json"]) == EXIT_FAILURE
        assert main(["train", "--dataset", "nothing-0123456789ab", "--json"]) == EXIT_FAILURE
        assert main(["models", "show", "ailurus_nothing", "--json"]) == EXIT_FAILURE
    finally:
        get_settings.cache_clear()
    errors = [line for line in capsys.readouterr().out.splitlines() if '"code"' in line]
    assert len(errors) == 3
