"""``/v1/analytics``: what the dashboard's analytics page draws."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from ailurus_common.contracts.ingest import Analytics
from ingest.analytics import analytics
from ingest.api.deps import SettingsDep, StoreDep

router = APIRouter(prefix="/v1", tags=["analytics"])


@router.get("/analytics", response_model=Analytics)
async def get_analytics(store: StoreDep, settings: SettingsDep, trap_id: str | None = None,
                        start: Annotated[datetime | None, Query(alias="from")] = None,
                        end: Annotated[datetime | None, Query(alias="to")] = None) -> Analytics:
    return await analytics(store, trap_id=trap_id, start=start, end=end, concurrency=settings.query_concurrency)
