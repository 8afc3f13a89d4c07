"""Dependency aliases for the routes (objects built once in the lifespan)."""

from typing import Annotated

from fastapi import Depends, Request

from preprocess.config import PreprocessSettings, get_settings
from preprocess.pipeline import Pipeline


async def get_pipeline(request: Request) -> Pipeline:
    return request.app.state.pipeline


SettingsDep = Annotated[PreprocessSettings, Depends(get_settings)]
PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]
