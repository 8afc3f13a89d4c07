"""``/v1/analytics``: what the dashboard's analytics page draws."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from ailurus_common.contracts.ingest import Analytics
from ailurus_common.domain import Group
from ingest.analytics import analytics
from ingest.api.deps import SettingsDep, StoreDep

router = APIRouter(prefix="/v1", tags=["analytics"])


@router.get("/analytics", response_model=Analytics)
async def get_analytics(store: StoreDep, settings: SettingsDep, trap_id: str | None = None,
                        start: Annotated[datetime | None, Query(alias="from")] = None,
                        end: Annotated[datetime | None, Query(alias="to")] = None,
                        exclude_group: Annotated[list[Group], Query(
                            description="Computed as if media in these groups did not exist.")] = [],  # noqa: B006
                        ) -> Analytics:
    return await analytics(store, trap_id=trap_id, start=start, end=end, exclude_groups=exclude_group,
                           concurrency=settings.query_concurrency)
