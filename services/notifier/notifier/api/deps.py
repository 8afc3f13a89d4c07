"""Dependency aliases for the notifier's routes."""

from typing import Annotated

import httpx
from fastapi import Depends, Request

from notifier.config import NotifierSettings, get_settings
from notifier.store import DeliveryStore


async def get_store(request: Request) -> DeliveryStore:
    return request.app.state.store


async def get_client(request: Request) -> httpx.AsyncClient:
    return request.app.state.webhook_client


SettingsDep = Annotated[NotifierSettings, Depends(get_settings)]
StoreDep = Annotated[DeliveryStore, Depends(get_store)]
ClientDep = Annotated[httpx.AsyncClient, Depends(get_client)]
