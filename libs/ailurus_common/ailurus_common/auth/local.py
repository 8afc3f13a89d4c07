"""Local sign-in for the embedded default (no Entra tenant): our own RS256 signing key and
a small users file with salted password hashes.

Tokens issued here are checked by the same ``TokenValidator`` as Entra tokens, given this
issuer's JWKS. The key and the users file are created on first use, readable only by
their owner; both stay on this machine.
"""

import base64
import contextlib
import functools
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from ailurus_common.auth.principal import SERVICE_ROLE, Role, effective_roles
from ailurus_common.auth.tokens import MIN_RSA_BITS, TokenValidator

LOCAL_ISSUER = "ailurus-local"
DEFAULT_AUDIENCE = "api://ailurus"
# The internal services' own audience: a token for the public API (a user's, a partner's)
# is never accepted by ingest or preprocess, whatever roles it carries.
SERVICE_AUDIENCE = "api://ailurus-internal"
DEFAULT_TOKEN_TTL_S = 8 * 3600
# Delegated-scope claim on user tokens, as Entra puts on a signed-in user's token; its
# absence is what marks an app-only token.
USER_SCOPE = "access_as_user"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _create_private_file(path: Path, data: bytes) -> bool:
    """Write ``data`` to a new file readable only by its owner. False if the file already
    exists (never overwritten: another process may have created it first; first one wins)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.link(tmp, path)  # atomic, and fails if the path exists: a reader never sees half a file
        return True
    except FileExistsError:
        return False
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def load_or_create_key(path: Path) -> rsa.RSAPrivateKey:
    """The RSA private key kept at ``path`` (PEM, mode 0600), generated on first use."""
    if not path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=MIN_RSA_BITS)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        _create_private_file(path, pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < MIN_RSA_BITS:
        raise ValueError(f"{path} does not hold an RSA private key of at least {MIN_RSA_BITS} bits")
    return key


def key_thumbprint(public_key: rsa.RSAPublicKey) -> str:
    """RFC 7638 JWK thumbprint (SHA-256), used as the ``kid``."""
    jwk = RSAAlgorithm.to_jwk(public_key, as_dict=True)
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True)
    return _b64(hashlib.sha256(canonical.encode()).digest())


class LocalIssuer:
    """Signs local-mode access tokens and publishes the matching JWKS."""

    def __init__(self, private_key: rsa.RSAPrivateKey, *, audience: str = DEFAULT_AUDIENCE,
                 ttl_s: int = DEFAULT_TOKEN_TTL_S) -> None:
        self._private_key = private_key
        self.audience = audience
        self.ttl_s = ttl_s
        self.kid = key_thumbprint(private_key.public_key())

    @classmethod
    def from_key_file(cls, path: Path, *, audience: str = DEFAULT_AUDIENCE,
                      ttl_s: int = DEFAULT_TOKEN_TTL_S) -> "LocalIssuer":
        """The issuer for the key at ``path``, creating the key on first use."""
        return cls(load_or_create_key(path), audience=audience, ttl_s=ttl_s)

    def jwks(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self._private_key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def validator(self, *, leeway_s: float = 60.0, revoked=None) -> TokenValidator:
        """A validator that accepts exactly this issuer's tokens (but those ``revoked`` names)."""
        return TokenValidator(issuer=LOCAL_ISSUER, audience=self.audience, jwks=self.jwks(), leeway_s=leeway_s,
                              revoked=revoked)

    def issue(self, subject: str, roles: Iterable[Role | str], *, name: str | None = None, app_only: bool = False,
              ttl_s: int | None = None) -> str:
        """A signed RS256 access token for ``subject`` with the given app roles."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": LOCAL_ISSUER, "aud": self.audience, "sub": subject, "name": name or subject,
            "roles": sorted({Role(r).value for r in roles}), "iat": now, "nbf": now,
            "exp": now + (ttl_s or self.ttl_s), "jti": uuid.uuid4().hex, "idtyp": "app" if app_only else "user",
        }
        if app_only:
            claims["azp"] = subject  # a client-credentials token names its application, as Entra's do
        else:
            claims["scp"] = USER_SCOPE
        return jwt.encode(claims, self._private_key, algorithm="RS256", headers={"kid": self.kid})

    def issue_service(self, subject: str, *, ttl_s: int | None = None) -> str:
        """An app-only token with the service role, for this issuer's audience (the internal one)."""
        now = int(time.time())
        claims = {"iss": LOCAL_ISSUER, "aud": self.audience, "sub": subject, "azp": subject, "roles": [SERVICE_ROLE],
                  "iat": now, "nbf": now, "exp": now + (ttl_s or self.ttl_s), "jti": uuid.uuid4().hex, "idtyp": "app"}
        return jwt.encode(claims, self._private_key, algorithm="RS256", headers={"kid": self.kid})


# scrypt cost: ~16 MiB and tens of milliseconds per check, which makes guessing slow.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_MAX_SCRYPT_N = 2**20


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64url), with a fresh random salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_password(password: str, encoded: str) -> bool:
    """Constant-time check of ``password`` against a ``hash_password`` string."""
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        n_, r_, p_ = int(n), int(r), int(p)
        if scheme != "scrypt" or not 1 < n_ <= _MAX_SCRYPT_N or not 0 < r_ <= 32 or not 0 < p_ <= 16:
            return False
        expected = _unb64(digest)
        actual = hashlib.scrypt(password.encode(), salt=_unb64(salt), n=n_, r=r_, p=p_, dklen=len(expected),
                                maxmem=256 * n_ * r_ + 2**20)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


class LocalUsersError(ValueError):
    """The users file cannot be read or is malformed."""


@dataclass(frozen=True)
class LocalUser:
    username: str
    name: str
    roles: frozenset[Role]


DEFAULT_USERS = {"admin": Role.ADMIN, "reviewer": Role.REVIEWER, "uploader": Role.UPLOADER, "viewer": Role.VIEWER}
INITIAL_PASSWORDS_FILE = "initial-passwords.txt"


class LocalUsers:
    """Users of local sign-in, in a JSON file (``{"users": {name: {name, roles, password}}}``).

    Read on every sign-in, so edits apply without a restart.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def ensure(self) -> Path | None:
        """Create the file on first start with one user per role and random passwords.

        Returns:
            The file the first passwords were written to (mode 0600, next to the users
            file), or None when the users file already existed.
        """
        if self.path.exists():
            return None
        passwords = {username: secrets.token_urlsafe(12) for username in DEFAULT_USERS}
        users = {username: {"name": f"Local {username}", "roles": [role.value],
                            "password": hash_password(passwords[username])}
                 for username, role in DEFAULT_USERS.items()}
        if not _create_private_file(self.path, (json.dumps({"users": users}, indent=2) + "\n").encode()):
            return None  # another process created it first
        lines = [f"# Ailurus local sign-in: first passwords, written once when {self.path.name} was created.",
                 "# Sign in with these, then delete this file. Users and hashes live in that file.",
                 *(f"{username:<10} {password}" for username, password in passwords.items())]
        target = self.path.with_name(INITIAL_PASSWORDS_FILE)
        with contextlib.suppress(FileNotFoundError):
            target.unlink()  # an old file would not match the new hashes
        _create_private_file(target, ("\n".join(lines) + "\n").encode())
        return target

    def forget_initial_password(self, username: str) -> None:
        """Drop a user's line from the first-passwords file once they have signed in, and
        the file once it lists nobody: a plain password does not stay on disk after use."""
        target = self.path.with_name(INITIAL_PASSWORDS_FILE)
        try:
            lines = target.read_text().splitlines()
        except FileNotFoundError:
            return
        kept = [line for line in lines if line.startswith("#") or line.split()[:1] != [username]]
        if len(kept) == len(lines):
            return
        if not [line for line in kept if not line.startswith("#")]:
            target.unlink(missing_ok=True)
            return
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(kept) + "\n")
        os.replace(tmp, target)

    def expire_initial_passwords(self, max_age_s: float) -> bool:
        """Delete the first-passwords file once it is older than ``max_age_s``; True if it was."""
        target = self.path.with_name(INITIAL_PASSWORDS_FILE)
        try:
            if time.time() - target.stat().st_mtime <= max_age_s:
                return False
            target.unlink()
            return True
        except FileNotFoundError:
            return False

    def load(self) -> dict[str, Mapping[str, Any]]:
        """Every user entry by user name; raises ``LocalUsersError`` when the file is unusable."""
        try:
            document = json.loads(self.path.read_text())
            users = document["users"]
            if not isinstance(users, dict) or not all(
                    isinstance(u, dict) and isinstance(u.get("password"), str) for u in users.values()):
                raise TypeError("each user needs a 'password' hash")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise LocalUsersError(f"local users file {self.path} is unusable: {exc}") from exc
        return users

    def authenticate(self, username: str, password: str) -> LocalUser | None:
        """The user when the password matches, else None. As slow for an unknown user as for a
        wrong password, so the answer time does not reveal which user names exist. Blocking
        (scrypt): call it in a thread from async code."""
        entry = self.load().get(username)
        encoded = entry["password"] if entry else _dummy_hash()
        if not verify_password(password, encoded) or entry is None:
            return None
        roles = entry.get("roles") or []
        return LocalUser(username=username, name=str(entry.get("name") or username),
                         roles=effective_roles(roles if isinstance(roles, list) else []))
