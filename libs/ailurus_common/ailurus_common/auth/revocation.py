"""Signed-out local tokens: the ids (``jti``) of tokens revoked before they expire, kept in
a small file next to the users file so that a restart does not bring them back.

Local sign-in issues 8-hour tokens; without this, signing out only forgot the token in the
browser, and a copied token stayed good until it expired. Entra ID tokens are revoked by
Entra ID (sessions, conditional access), not here. Local mode runs one gateway (the chart
refuses it in a cluster), so one process owns the file.
"""

import json
import logging
import os
import tempfile
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)


class RevokedTokens:
    """``revoke(jti, expires_at)`` and ``is_revoked(jti)``; entries leave once their token
    would have expired anyway."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._revoked: dict[str, float] = self._read()

    def _read(self) -> dict[str, float]:
        try:
            data = json.loads(self.path.read_text())
            return {str(k): float(v) for k, v in data.items() if float(v) > time.time()}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            # Unreadable: fail closed for nothing we know, but say so; signing out again fixes it.
            log.error("auth: revoked-token list %s is unusable (%s); starting empty", self.path, exc)
            return {}

    def is_revoked(self, token_id: str | None) -> bool:
        return token_id is not None and self._revoked.get(token_id, 0.0) > time.time()

    def revoke(self, token_id: str, expires_at: float) -> None:
        """Refuse the token from now on (until ``expires_at``, Unix time)."""
        with self._lock:
            now = time.time()
            self._revoked = {k: v for k, v in self._revoked.items() if v > now}
            self._revoked[token_id] = expires_at
            self._write(self._revoked)

    def _write(self, revoked: dict[str, float]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        with os.fdopen(fd, "w") as f:
            json.dump(revoked, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
