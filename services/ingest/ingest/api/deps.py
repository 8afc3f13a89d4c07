"""Dependency aliases for ingest's routes."""

from typing import Annotated

from fastapi import Depends, Request

from ingest.config import IngestSettings, get_settings
from ingest.events import EventPolicy
from ingest.store.base import MetadataStore


async def get_store(request: Request) -> MetadataStore:
    return request.app.state.store


async def get_events(request: Request) -> EventPolicy:
    return request.app.state.events


EventsDep = Annotated[EventPolicy, Depends(get_events)]
SettingsDep = Annotated[IngestSettings, Depends(get_settings)]
StoreDep = Annotated[MetadataStore, Depends(get_store)]
