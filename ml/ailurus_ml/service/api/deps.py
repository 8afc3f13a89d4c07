"""Dependency aliases for the ML admin service's routes."""

from typing import Annotated

from fastapi import Depends, Request

from ailurus_ml.service.lifecycle import Lifecycle


async def get_lifecycle(request: Request) -> Lifecycle:
    return request.app.state.lifecycle


LifecycleDep = Annotated[Lifecycle, Depends(get_lifecycle)]
