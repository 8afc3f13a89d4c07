"""``/api/v1/changes``: the change feed for partners who sync. ingest computes it (the
data's owner); the gateway passes the caller's precision and maps through its view."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from ailurus_common.auth import Role
from gateway.api.deps import IngestDep, ViewDep
from gateway.auth import require
from gateway.schemas import ChangePageCoarse, ChangePageExact

router = APIRouter(tags=["changes"])
MAX_LIMIT = 200  # ingest's page bound (INGEST_MAX_PAGE_SIZE default)


@router.get("/changes", response_model=ChangePageExact | ChangePageCoarse, dependencies=[Depends(require(Role.VIEWER))])
async def list_changes(
    ingest: IngestDep, view: ViewDep,
    since: Annotated[str | None, Query(max_length=512, description="The `cursor` of the previous page; "
                                                                   "omit to start from the beginning.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> ChangePageExact | ChangePageCoarse:
    """Media and their observations created or changed since the cursor, oldest change first,
    at the caller's precision. Keep the returned `cursor` and pass it as `since`: no change is
    missed or sent twice across pages, also while records change. Media deleted since the
    cursor are in `deleted` (apply them first), for a coarse caller only those they could see."""
    page = await ingest.list_changes(cursor=since, limit=limit, exclude_groups=view.hidden_groups,
                                     exclude_pending=view.hides_unlabelled)
    return view.changes(page, limit=limit)
