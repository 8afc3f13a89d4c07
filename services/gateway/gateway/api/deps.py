"""Dependency aliases for the gateway's routes."""

from typing import Annotated

from fastapi import Depends, Request

from ailurus_common.auth import Principal, Role
from ailurus_common.auth.errors import Forbidden
from ailurus_common.clients.ingest import IngestClient
from ailurus_common.clients.ml import MlClient
from ailurus_common.clients.notifier import NotifierClient
from ailurus_common.errors import AilurusError
from ailurus_common.storage.blob import BlobStore
from gateway.auth import GatewayAuth, current_principal, get_auth
from gateway.config import GatewaySettings, get_settings
from gateway.privacy import PrivacyPolicy
from gateway.progress import ProgressHub
from gateway.sessions import UploadSessions
from gateway.throttle import RateLimiter, caller_key
from gateway.uploads import UploadPipeline
from gateway.views import CoarseView, ExactView, View

CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def get_pipeline(request: Request) -> UploadPipeline:
    return request.app.state.pipeline


async def get_ingest(request: Request) -> IngestClient:
    return request.app.state.pipeline.ingest


async def get_notifier(request: Request) -> NotifierClient:
    return request.app.state.notifier


async def get_blobs(request: Request) -> BlobStore:
    return request.app.state.pipeline.blobs


async def get_ml(request: Request) -> MlClient:
    return request.app.state.ml


async def require_admin_person(principal: CurrentPrincipal) -> Principal:
    """Admins signed in as people: what serves every upload is never changed (or its
    registry read) with an app-only token, whatever roles a partner's app was granted."""
    if not principal.has(Role.ADMIN):
        raise Forbidden(f"this needs the {Role.ADMIN} role")
    if principal.app_only:
        raise Forbidden("the model lifecycle is for admins signed in as people, not app-only tokens")
    return principal


async def get_sessions(request: Request) -> UploadSessions:
    return request.app.state.sessions


async def get_progress(request: Request) -> ProgressHub:
    return request.app.state.progress




async def get_user(principal: CurrentPrincipal) -> str:
    """The caller's stable id (Entra ``oid``/``sub``, the user name locally), recorded as
    uploader or reviewer."""
    return principal.subject


async def get_view(principal: CurrentPrincipal, settings: Annotated[GatewaySettings, Depends(get_settings)]) -> View:
    """Exact for callers who may see exact positions (reviewers and admins signed in as
    people); coarse for everyone else, partners' app tokens included. Decided here once:
    every route answers through the view it is given."""
    if principal.has(Role.REVIEWER) and not principal.app_only:
        return ExactView()
    return CoarseView(PrivacyPolicy(cell_deg=settings.privacy_cell_deg, min_count=settings.privacy_min_count,
                                    sensitive_groups=frozenset(settings.privacy_sensitive_groups)))


async def enforce_rate_limit(request: Request) -> None:
    """Spend one token of the caller's bucket (429 ``rate_limited`` with ``Retry-After`` when
    empty). Runs before the role check, so requests with no or a bad token are limited too,
    by their client address: the bucket is only ever named by a validated token. The header
    is read directly, not through the bearer scheme, so that the public sign-in routes it
    also guards are not documented as needing a token."""
    limiter: RateLimiter | None = request.app.state.rate_limiter
    if limiter is None:
        return
    principal = None
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        try:
            principal = await request.app.state.token_validator.validate(token.strip())
        except AilurusError:
            principal = None  # the role check that follows answers 401 for it
    limiter.take(caller_key(principal, request.client.host if request.client else "unknown"))


SettingsDep = Annotated[GatewaySettings, Depends(get_settings)]
ViewDep = Annotated[View, Depends(get_view)]
PipelineDep = Annotated[UploadPipeline, Depends(get_pipeline)]
IngestDep = Annotated[IngestClient, Depends(get_ingest)]
NotifierDep = Annotated[NotifierClient, Depends(get_notifier)]
BlobsDep = Annotated[BlobStore, Depends(get_blobs)]
SessionsDep = Annotated[UploadSessions, Depends(get_sessions)]
ProgressDep = Annotated[ProgressHub, Depends(get_progress)]
MlDep = Annotated[MlClient, Depends(get_ml)]
UserDep = Annotated[str, Depends(get_user)]
AuthDep = Annotated[GatewayAuth, Depends(get_auth)]
