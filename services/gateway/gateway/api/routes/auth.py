"""``/api/v1/auth``: how to sign in (public), local password sign-in, and ``/me``."""

import asyncio
import logging
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from ailurus_common.auth import Role
from ailurus_common.auth.errors import AuthUnavailable, InvalidCredentials, LocalSignInDisabled
from ailurus_common.auth.local import LocalUsersError
from gateway.api.deps import AuthDep, CurrentPrincipal, SettingsDep
from gateway.throttle import LoginThrottle

router = APIRouter(tags=["auth"])
log = logging.getLogger(__name__)


class EntraConfig(BaseModel):
    tenant_id: str | None
    client_id: str
    scope: str | None
    authority: str | None


class AuthConfig(BaseModel):
    mode: Literal["local", "entra"]
    audience: str
    entra: EntraConfig | None = None


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    roles: list[Role]


class Me(BaseModel):
    subject: str
    name: str
    roles: list[Role]
    app_only: bool


@router.get("/auth/config")
async def auth_config(settings: SettingsDep) -> AuthConfig:
    """How to sign in; public, so the dashboard can ask before it has a token."""
    entra = None
    if settings.auth_mode == "entra":
        tenant = settings.entra_tenant_id
        entra = EntraConfig(tenant_id=tenant, client_id=settings.entra_client_id, scope=settings.entra_api_scope,
                            authority=f"{settings.entra_authority_host.rstrip('/')}/{tenant}" if tenant else None)
    return AuthConfig(mode=settings.auth_mode, audience=settings.auth_audience, entra=entra)


@router.post("/auth/login", responses={429: {"description": "too_many_attempts (with Retry-After)"}})
async def login(body: LoginIn, auth: AuthDep, request: Request) -> TokenOut:
    """Local mode only: user name and password for a bearer token."""
    if auth.issuer is None or auth.users is None:
        raise LocalSignInDisabled("password sign-in exists only in local auth mode; sign in with Entra ID")
    throttle: LoginThrottle = request.app.state.login_throttle
    client = request.client.host if request.client else "unknown"
    throttle.begin(body.username, client)
    user = None
    try:
        user = await asyncio.to_thread(auth.users.authenticate, body.username, body.password)  # scrypt: off the loop
    except LocalUsersError as exc:
        log.error("auth: %s", exc)
        raise AuthUnavailable("the local users file cannot be read", retry_after_s=5) from None
    finally:
        throttle.end(body.username, client, succeeded=user is not None)
    if user is None:
        log.warning("auth: local sign-in failed for user %r", body.username[:64])
        raise InvalidCredentials("wrong user name or password")
    await asyncio.to_thread(auth.users.forget_initial_password, user.username)
    roles = sorted(user.roles)
    token = auth.issuer.issue(user.username, roles, name=user.name)
    return TokenOut(access_token=token, expires_in=auth.issuer.ttl_s, roles=roles)


@router.post("/auth/logout", status_code=204, response_class=Response)
async def logout(principal: CurrentPrincipal, auth: AuthDep) -> Response:
    """Sign out: the token presented is refused from now on (local sign-in; with Entra ID
    the identity provider ends sessions, and this only answers 204)."""
    if auth.revoked is not None and principal.token_id and principal.expires_at:
        await asyncio.to_thread(auth.revoked.revoke, principal.token_id, principal.expires_at)
    return Response(status_code=204)


@router.get("/me")
async def me(principal: CurrentPrincipal) -> Me:
    """Who the token says the caller is; any valid token, whatever its roles."""
    return Me(subject=principal.subject, name=principal.name, roles=sorted(principal.roles),
              app_only=principal.app_only)
