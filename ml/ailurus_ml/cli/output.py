"""How every ``ailurus`` command speaks: one JSON document on stdout with ``--json``, short
tables for people otherwise, errors as one clear line on stderr, progress bars on stderr
only when it is a terminal."""

import contextlib
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

# The exit status of every ``ailurus`` command (the same table is in ``ailurus --help`` and the README).
EXIT_OK = 0  # done
EXIT_FAILURE = 1  # not done: a failed gate, a missing snapshot or model, an unreachable store
EXIT_USAGE = 2  # the command line is wrong (argparse's own status for a bad argument)
EXIT_CODES_HELP = f"""exit status:
  {EXIT_OK}  done
  {EXIT_FAILURE}  not done (a failed gate, an unknown snapshot or model, a store or Triton that failed);
     with --json the error is one {{"error": {{code, message}}}} document on stdout
  {EXIT_USAGE}  usage error (unknown command, bad or missing argument)
  130  interrupted (Ctrl-C)"""


def emit_json(document: Any) -> None:
    """Print exactly one JSON document on stdout."""
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain text table; numbers right-aligned, text left-aligned."""
    cells = [[str(cell) for cell in headers], *[[str(cell) for cell in row] for row in rows]]
    widths = [max(len(row[column]) for row in cells) for column in range(len(headers))]
    numeric = [all(isinstance(row[column], int | float) for row in rows) and bool(rows) for column in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(cell.rjust(width) if right else cell.ljust(width)
                         for cell, width, right in zip(row, widths, numeric, strict=True)).rstrip()

    return "\n".join([line(cells[0]), line(["-" * width for width in widths]), *(line(row) for row in cells[1:])])


def report_error(exc: Exception, *, as_json: bool) -> int:
    """Tell the user what went wrong without a traceback; returns the exit status (``EXIT_FAILURE``)."""
    code = str(getattr(exc, "code", "error"))
    message = getattr(exc, "message", None) or str(exc)
    sys.stderr.write(f"ailurus: error: {message}\n")
    if as_json:
        emit_json({"error": {"code": code, "message": message}})
    return EXIT_FAILURE


@contextlib.contextmanager
def progress_bar(total: int, *, description: str, enabled: bool) -> Iterator[Callable[[int], None]]:
    """A function that advances a bar on stderr by n; the bar shows only when ``enabled`` and
    stderr is a terminal (so logs and pipes stay clean)."""
    if not enabled or not sys.stderr.isatty():
        yield lambda _n: None
        return
    # Imported here: only an interactive import pays for it.
    from tqdm import tqdm

    with tqdm(total=total, desc=description, unit="file", file=sys.stderr, dynamic_ncols=True) as bar:
        yield bar.update
