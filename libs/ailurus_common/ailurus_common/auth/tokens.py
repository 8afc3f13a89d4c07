"""Validate bearer tokens: Entra ID access tokens, and local-mode tokens through the same path.

Signature keys come from a JWKS: either discovered from OpenID Connect metadata
(``<authority>/v2.0/.well-known/openid-configuration`` -> ``jwks_uri``), cached and
refreshed when a token names a key we do not hold (Entra rotates keys), or given as a
static JWKS (local mode). Only RS256 is accepted, whatever the token's header says.
"""

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from ailurus_common.auth.errors import (
    AuthUnavailable,
    InvalidAudience,
    InvalidIssuer,
    InvalidToken,
    MissingToken,
    TokenExpired,
    TokenNotYetValid,
    TokenRevoked,
    UnknownSigningKey,
)
from ailurus_common.auth.principal import Principal

log = logging.getLogger(__name__)

# Fixed, never taken from the token: this is what stops `alg: none` and HS256-with-the-public-key.
ALGORITHMS = ("RS256",)
MIN_RSA_BITS = 2048
REQUIRED_CLAIMS = ["exp", "iss", "aud"]
VALID_CACHE_S = 60.0  # how long a token that passed is taken without a new signature check
VALID_CACHE_ENTRIES = 4096


def parse_jwks(document: Mapping[str, Any]) -> dict[str, RSAPublicKey]:
    """The RS256 signing keys of a JWKS by ``kid``; other keys (encryption, EC, short RSA) are skipped."""
    keys: dict[str, RSAPublicKey] = {}
    for jwk in document.get("keys") or []:
        if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or jwk.get("use", "sig") != "sig":
            continue
        kid = jwk.get("kid")
        if not isinstance(kid, str) or not kid or jwk.get("alg", "RS256") not in ALGORITHMS:
            continue
        try:
            key = jwt.PyJWK(jwk, "RS256").key
        except jwt.PyJWTError:
            continue
        if isinstance(key, RSAPublicKey) and key.key_size >= MIN_RSA_BITS:
            keys[kid] = key
    return keys


class TokenValidator:
    """Checks signature, issuer, audience and lifetime, and returns the caller's ``Principal``.

    Args:
        issuer: the exact ``iss`` expected.
        audience: the ``aud`` (or any of several) expected.
        metadata_url: OpenID Connect metadata to discover the JWKS from (Entra ID).
        jwks: a static JWKS instead (local mode). Exactly one of the two.
        leeway_s: clock skew allowed on ``exp``/``nbf``/``iat``.
        refresh_interval_s: at most one JWKS fetch per this interval, so tokens with random
            ``kid`` values cannot make us hammer the identity provider.
        max_key_age_s: re-read the JWKS after this long even without an unknown ``kid`` (drops
            keys the provider has withdrawn).
        timeout_s: per-request timeout of the metadata/JWKS fetches.
        clock: monotonic seconds; tests replace it.
    """

    def __init__(self, *, issuer: str, audience: str | Sequence[str], metadata_url: str | None = None,
                 jwks: Mapping[str, Any] | None = None, leeway_s: float = 60.0, refresh_interval_s: float = 60.0,
                 max_key_age_s: float = 24 * 3600, timeout_s: float = 10.0,
                 clock: Callable[[], float] = time.monotonic,
                 revoked: Callable[[str | None], bool] | None = None) -> None:
        if (metadata_url is None) == (jwks is None):
            raise ValueError("give exactly one of metadata_url (discovered keys) or jwks (static keys)")
        self.issuer = issuer
        self.audience = audience if isinstance(audience, str) else list(audience)
        self._metadata_url = metadata_url
        self._leeway_s = leeway_s
        self._refresh_interval_s = refresh_interval_s
        self._max_key_age_s = max_key_age_s
        self._clock = clock
        self._revoked = revoked  # signed-out token ids (local sign-in), checked on every call
        self._keys: dict[str, RSAPublicKey] = parse_jwks(jwks) if jwks is not None else {}
        self._jwks_uri: str | None = None
        self._loaded_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()
        self._http = httpx.AsyncClient(timeout=timeout_s, follow_redirects=False) if metadata_url else None
        # token -> (principal, monotonic time the entry ends): internal services see the same
        # service token on every call, and an RS256 check per image is measurable CPU.
        self._valid: dict[str, tuple[Principal, float]] = {}

    async def close(self) -> None:
        if self._http:
            await self._http.aclose()

    async def validate(self, token: str | None) -> Principal:
        """The principal of a valid token; raises an ``AuthError`` (401) saying what is wrong.

        A token that passed is remembered for at most ``VALID_CACHE_S`` (never past its
        ``exp``), so a withdrawn signing key stops being honoured within that time."""
        if token and (hit := self._valid.get(token)) is not None:
            if hit[1] > self._clock():
                return self._not_revoked(hit[0])
            del self._valid[token]
        principal, expires_at = await self._check(token)
        self._not_revoked(principal)
        if len(self._valid) >= VALID_CACHE_ENTRIES:
            self._valid.pop(next(iter(self._valid)))  # the oldest entry
        self._valid[token] = (principal, self._clock() + min(VALID_CACHE_S, expires_at - time.time()))
        return principal

    def _not_revoked(self, principal: Principal) -> Principal:
        if self._revoked is not None and self._revoked(principal.token_id):
            raise TokenRevoked("the token was signed out; sign in again")
        return principal

    async def _check(self, token: str | None) -> tuple[Principal, float]:
        """Verify signature and claims; the principal and the token's ``exp`` (Unix time)."""
        if not token:
            raise MissingToken("send an access token: 'Authorization: Bearer <token>'")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidToken("the bearer token is not a well-formed JWT") from None
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise InvalidToken(f"signing algorithm {str(alg)[:20]!r} is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("the token names no signing key (kid)")
        key = await self._key(kid)
        try:
            claims = jwt.decode(token, key, algorithms=list(ALGORITHMS), audience=self.audience, issuer=self.issuer,
                                leeway=self._leeway_s, options={"require": REQUIRED_CLAIMS})
        except jwt.ExpiredSignatureError:
            raise TokenExpired("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise TokenNotYetValid("the token is not valid yet (nbf/iat in the future)") from None
        except jwt.InvalidAudienceError:
            raise InvalidAudience("the token is not meant for this API (aud)") from None
        except jwt.InvalidIssuerError:
            raise InvalidIssuer("the token comes from an issuer this API does not trust (iss)") from None
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidToken(f"the token has no {exc.claim!r} claim") from None
        except jwt.PyJWTError:
            raise InvalidToken("the token signature or claims are invalid") from None
        if not isinstance(claims.get("oid") or claims.get("sub"), str):
            raise InvalidToken("the token has no subject (sub/oid)")
        return Principal.from_claims(claims), float(claims["exp"])

    async def _key(self, kid: str) -> RSAPublicKey:
        if self._metadata_url is not None:
            now = self._clock()
            if self._loaded_at is None or now - self._loaded_at > self._max_key_age_s or kid not in self._keys:
                await self._refresh()
            if not self._keys:
                raise AuthUnavailable("the identity provider's signing keys cannot be read now", retry_after_s=5)
        key = self._keys.get(kid)
        if key is None:
            raise UnknownSigningKey("the token is signed with a key this API does not know (kid)")
        return key

    async def _refresh(self) -> None:
        """Fetch the JWKS, unless a fetch was attempted within the rate limit (then keep what we have).
        Concurrent callers wait for the one fetch in flight instead of starting their own."""
        async with self._lock:
            now = self._clock()
            # Without any key yet, retry sooner: every request fails until the first fetch succeeds.
            interval_s = self._refresh_interval_s if self._keys else min(self._refresh_interval_s, 5.0)
            if self._attempted_at is not None and now - self._attempted_at < interval_s:
                return
            self._attempted_at = now
            try:
                keys = await self._fetch()
            except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
                log.warning("auth: cannot refresh signing keys from %s: %s", self._metadata_url, exc)
                return
            self._keys, self._loaded_at = keys, now
            log.info("auth: %d signing keys loaded", len(keys))

    async def _fetch(self) -> dict[str, RSAPublicKey]:
        assert self._http is not None and self._metadata_url is not None
        if self._jwks_uri is None:
            metadata = (await self._http.get(self._metadata_url)).raise_for_status().json()
            self._jwks_uri = str(metadata["jwks_uri"])
        try:
            document = (await self._http.get(self._jwks_uri)).raise_for_status().json()
        except (httpx.HTTPError, ValueError):
            self._jwks_uri = None  # re-discover next time: the metadata may have moved it
            raise
        if not isinstance(document, dict):
            raise ValueError("the JWKS is not a JSON object")
        return parse_jwks(document)
