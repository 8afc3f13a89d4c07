"""A markdown table a suite fills row by row and writes to test-artifacts/ at its end."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@contextmanager
def markdown_table(name: str, header: list[str]) -> Iterator[list[str]]:
    """Yield a list to append ``| a | b |`` rows to; written to ``test-artifacts/<name>`` after."""
    rows: list[str] = []
    yield rows
    ARTIFACTS.mkdir(exist_ok=True)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *rows]
    (ARTIFACTS / name).write_text("\n".join(lines) + "\n")
