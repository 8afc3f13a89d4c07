"""The gateway's side of auth: the validator (plus, in local mode, the signing key and users
file) built from settings, and the dependencies every ``/api/v1`` route declares: who is
calling (``current_principal``) and whether they hold a role (``require``)."""

import functools
import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ailurus_common.auth import LocalIssuer, LocalUsers, Principal, Role, TokenValidator
from ailurus_common.auth.errors import Forbidden
from gateway.config import GatewaySettings

log = logging.getLogger(__name__)


@dataclass
class GatewayAuth:
    """What the routes need at run time; ``issuer`` and ``users`` only in local mode."""

    mode: str
    validator: TokenValidator
    issuer: LocalIssuer | None = None
    users: LocalUsers | None = None

    async def close(self) -> None:
        await self.validator.close()


def local_issuer(settings: GatewaySettings) -> LocalIssuer:
    """The local-mode issuer for the configured key file (created on first use)."""
    return LocalIssuer.from_key_file(settings.auth_key_path, audience=settings.auth_audience,
                                     ttl_s=settings.auth_token_ttl_s)


def open_auth(settings: GatewaySettings) -> GatewayAuth:
    """Build auth from settings. Blocking on first start in local mode (key generation,
    password hashing): call it in a thread."""
    if settings.auth_mode == "entra":
        validator = TokenValidator(issuer=settings.auth_issuer, audience=settings.auth_audience,
                                   metadata_url=settings.auth_metadata_url, leeway_s=settings.auth_leeway_s)
        return GatewayAuth(mode="entra", validator=validator)
    issuer = local_issuer(settings)
    users = LocalUsers(settings.auth_users_path)
    if passwords_file := users.ensure():
        log.warning("auth: created local users admin, reviewer, uploader and viewer; their first passwords are in %s "
                    "(readable only by you). Sign in with them, then delete that file.", passwords_file)
    users.load()  # a broken users file stops the start, not the first sign-in
    log.info("auth: local mode, signing key %s, users in %s", settings.auth_key_path, settings.auth_users_path)
    return GatewayAuth(mode="local", validator=issuer.validator(leeway_s=settings.auth_leeway_s), issuer=issuer,
                       users=users)


def get_auth(request: Request) -> GatewayAuth:
    return request.app.state.auth


# auto_error=False: our own errors (stable codes, WWW-Authenticate) instead of FastAPI's 403.
_bearer = HTTPBearer(auto_error=False, description="An Entra ID access token, or a local one (`make token ROLE=admin`).")


async def current_principal(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None,
                                                                      Depends(_bearer)]) -> Principal:
    """The caller of a request with a valid bearer token; 401 otherwise."""
    return await get_auth(request).validator.validate(credentials.credentials if credentials else None)


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
