"""Dependency aliases for worker's routes."""

from typing import Annotated

from fastapi import Depends

from worker.config import WorkerSettings, get_settings

SettingsDep = Annotated[WorkerSettings, Depends(get_settings)]
