"""A real webhook receiver process (tests/support/webhook_receiver.py) on a free port."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ailurus_tools.processes import ManagedProcess, free_port

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def webhook_receiver(out: Path, *, secret: str, log_path: Path) -> Iterator[str]:
    """The receiver's URL while it runs; what it receives (HMAC checked) lands in ``out``."""
    port = free_port()
    process = ManagedProcess("receiver", [sys.executable, str(ROOT / "tests/support/webhook_receiver.py"), "--port",
                                          str(port), "--secret", secret, "--out", str(out)],
                             ready_url=f"http://127.0.0.1:{port}/", log_path=log_path)
    process.start()
    try:
        yield f"http://127.0.0.1:{port}/hook"
    finally:
        process.stop()
