"""Dependency aliases for the gateway's routes."""

from typing import Annotated

from fastapi import Depends, Request

from ailurus_common.auth import Principal, Role
from ailurus_common.clients.ingest import IngestClient
from ailurus_common.storage.blob import BlobStore
from gateway.auth import GatewayAuth, current_principal, get_auth
from gateway.config import GatewaySettings, get_settings
from gateway.privacy import PrivacyPolicy
from gateway.progress import ProgressHub
from gateway.sessions import UploadSessions
from gateway.uploads import UploadPipeline
from gateway.views import CoarseView, ExactView, View


async def get_pipeline(request: Request) -> UploadPipeline:
    return request.app.state.pipeline


async def get_ingest(request: Request) -> IngestClient:
    return request.app.state.pipeline.ingest


async def get_blobs(request: Request) -> BlobStore:
    return request.app.state.pipeline.blobs


async def get_sessions(request: Request) -> UploadSessions:
    return request.app.state.sessions


async def get_progress(request: Request) -> ProgressHub:
    return request.app.state.progress


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


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


SettingsDep = Annotated[GatewaySettings, Depends(get_settings)]
ViewDep = Annotated[View, Depends(get_view)]
PipelineDep = Annotated[UploadPipeline, Depends(get_pipeline)]
IngestDep = Annotated[IngestClient, Depends(get_ingest)]
BlobsDep = Annotated[BlobStore, Depends(get_blobs)]
SessionsDep = Annotated[UploadSessions, Depends(get_sessions)]
ProgressDep = Annotated[ProgressHub, Depends(get_progress)]
UserDep = Annotated[str, Depends(get_user)]
AuthDep = Annotated[GatewayAuth, Depends(get_auth)]
