"""Service-to-service auth: the internal services (ingest, preprocess) validate a bearer
token on every call like the gateway does, and the gateway obtains one for its own calls.

The gateway calls as itself, not on behalf of the user: it has already checked the user's
role, and its retry worker calls with no user at all. Its tokens are for the internal
audience and carry the ``service`` app role; ingest and preprocess validate against that
audience and take nothing else, so a user's or a partner's token (public audience) never
reaches the data or the decoders directly, whatever its roles. Locally the gateway signs
its token with the local key; on Azure it asks Entra ID for one with its workload identity
(the managed identity is assigned the internal app's ``service`` role, and nobody else is).
"""

import asyncio
import functools
import time
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ailurus_common.auth.errors import Forbidden
from ailurus_common.auth.local import LocalIssuer
from ailurus_common.auth.principal import Principal, Role
from ailurus_common.auth.settings import AuthSettings
from ailurus_common.auth.tokens import TokenValidator

SERVICE_SUBJECT = "ailurus-gateway"
_RENEW_BEFORE_S = 300  # fetch a new token this long before the old one expires


def open_validator(settings: AuthSettings, *, internal: bool = False) -> TokenValidator:
    """The validator for the configured mode (local mode reads, or first creates, the key):
    for the public audience, or with ``internal`` for the internal services' own."""
    audience = settings.auth_service_audience if internal else settings.auth_audience
    if settings.auth_mode == "entra":
        return TokenValidator(issuer=settings.auth_issuer, audience=audience,
                              metadata_url=settings.auth_metadata_url, leeway_s=settings.auth_leeway_s)
    issuer = LocalIssuer.from_key_file(settings.auth_key_path, audience=audience)
    return issuer.validator(leeway_s=settings.auth_leeway_s)


# auto_error=False: our own errors (stable codes, WWW-Authenticate) instead of FastAPI's 403.
_bearer = HTTPBearer(auto_error=False, description="A service token (the gateway's) or a user token.")


async def current_principal(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None,
                                                                      Depends(_bearer)]) -> Principal:
    """The caller of a request with a valid bearer token (``app.state.token_validator``); 401 otherwise."""
    validator: TokenValidator = request.app.state.token_validator
    return await validator.validate(credentials.credentials if credentials else None)


@functools.cache
def require(role: Role):
    """A dependency that lets the request through only when the caller holds ``role``
    (or a role that implies it): 401 without a valid token, 403 without the role."""

    async def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.has(role):
            raise Forbidden(f"this needs the {role} role")
        return principal

    dependency.__name__ = f"require_{role}"
    return dependency


async def require_service(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """Only the gateway's service identity (app-only, ``service`` role) gets through; 403 otherwise."""
    if not principal.service:
        raise Forbidden("only the gateway's service identity may call this service")
    return principal


class ServiceTokens:
    """Bearer tokens for the gateway's own calls to ingest and preprocess, cached until
    shortly before they expire."""

    def __init__(self, settings: AuthSettings, *, ttl_s: int = 3600) -> None:
        self._settings = settings
        self._ttl_s = ttl_s
        self._issuer = LocalIssuer.from_key_file(settings.auth_key_path, audience=settings.auth_service_audience) \
            if settings.auth_mode == "local" else None
        self._credential = None
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def header(self) -> dict[str, str]:
        """``{"Authorization": "Bearer ..."}`` with a token valid for a while yet."""
        if self._token is None or time.time() > self._expires_at - _RENEW_BEFORE_S:
            async with self._lock:
                if self._token is None or time.time() > self._expires_at - _RENEW_BEFORE_S:
                    self._token, self._expires_at = await self._fetch()
        return {"Authorization": f"Bearer {self._token}"}

    async def _fetch(self) -> tuple[str, float]:
        if self._issuer is not None:
            token = self._issuer.issue_service(SERVICE_SUBJECT, ttl_s=self._ttl_s)
            return token, time.time() + self._ttl_s
        if self._credential is None:
            from azure.identity.aio import DefaultAzureCredential  # only on Azure

            self._credential = DefaultAzureCredential()
        access = await self._credential.get_token(f"{self._settings.auth_service_audience}/.default")
        return access.token, float(access.expires_on)

    async def close(self) -> None:
        if self._credential is not None:
            await self._credential.close()
