"""Start a service process, wait until it answers, stop it (and its children) for sure.

Used by ``make run`` and by the test fixtures, so both start services the same way.
"""

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ProcessError(RuntimeError):
    """A managed process failed to start or become ready."""


class ManagedProcess:
    """One child process in its own process group, with an HTTP readiness probe."""

    def __init__(self, name: str, cmd: list[str], *, env: dict[str, str] | None = None, ready_url: str | None = None,
                 log_path: Path | None = None, cwd: Path | None = None) -> None:
        self.name = name
        self.cmd = cmd
        self.env = {**os.environ, **(env or {})}
        self.ready_url = ready_url
        self.log_path = log_path
        self.cwd = cwd
        self.process: subprocess.Popen | None = None

    def start(self, *, timeout_s: float = 60.0) -> "ManagedProcess":
        with contextlib.ExitStack() as stack:
            log = stack.enter_context(open(self.log_path, "ab")) if self.log_path else None
            self.process = subprocess.Popen(self.cmd, env=self.env, cwd=self.cwd, stdout=log,
                                            stderr=subprocess.STDOUT if log else None, start_new_session=True)
        if self.ready_url:
            self.wait_ready(timeout_s=timeout_s)
        return self

    def wait_ready(self, *, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise ProcessError(f"{self.name} exited with code {self.process.returncode} (log: {self.log_path})")
            try:
                with urllib.request.urlopen(self.ready_url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise ProcessError(f"{self.name} not ready at {self.ready_url} after {timeout_s} s (log: {self.log_path})")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, *, timeout_s: float = 20.0) -> None:
        """SIGTERM the group, SIGKILL whatever is left after ``timeout_s``."""
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                pass
            except ProcessLookupError:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
