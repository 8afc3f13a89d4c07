"""Dependency aliases for the gateway's routes."""

from typing import Annotated

from fastapi import Depends, Request

from ailurus_common.storage.blob import BlobStore
from gateway.clients import IngestClient
from gateway.config import GatewaySettings, get_settings
from gateway.uploads import UploadPipeline


def get_pipeline(request: Request) -> UploadPipeline:
    return request.app.state.pipeline


def get_ingest(request: Request) -> IngestClient:
    return request.app.state.pipeline.ingest


def get_blobs(request: Request) -> BlobStore:
    return request.app.state.pipeline.blobs


def get_user() -> str:
    """The caller's identity. Sign-in (Entra ID / local tokens) arrives with issue 4;
    until then every caller is the local operator."""
    return "local-operator"


SettingsDep = Annotated[GatewaySettings, Depends(get_settings)]
PipelineDep = Annotated[UploadPipeline, Depends(get_pipeline)]
IngestDep = Annotated[IngestClient, Depends(get_ingest)]
BlobsDep = Annotated[BlobStore, Depends(get_blobs)]
UserDep = Annotated[str, Depends(get_user)]
