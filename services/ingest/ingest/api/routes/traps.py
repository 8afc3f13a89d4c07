"""Camera traps (Camtrap DP deployments)."""

import re

from fastapi import APIRouter, Response

from ailurus_common.contracts import TrapCreate, TrapUpdate
from ailurus_common.records import Deployment, MediaFilter, utc_now
from ailurus_common.storage.errors import Conflict
from ingest.api.deps import StoreDep
from ingest.errors import InvalidQuery, TrapExists, TrapNotFound
from ingest.schemas import Trap, TrapList

router = APIRouter(prefix="/v1/traps", tags=["traps"])


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64]
    if not slug:
        raise InvalidQuery("the name gives no usable id; send an explicit id")
    return slug


@router.post("", status_code=201, response_model=Deployment)
async def create_trap(body: TrapCreate, store: StoreDep) -> Deployment:
    deployment = Deployment(**body.model_dump(exclude={"id"}), id=body.id or _slug(body.name))
    try:
        await store.create_deployment(deployment)
    except Conflict:
        raise TrapExists(f"trap {deployment.id} exists") from None
    return deployment


@router.get("", response_model=TrapList)
async def list_traps(store: StoreDep) -> TrapList:
    return TrapList(items=await store.list_deployments())


async def _deployment(store, trap_id: str) -> Deployment:
    deployment = await store.get_deployment(trap_id)
    if deployment is None:
        raise TrapNotFound(f"no trap {trap_id}")
    return deployment


@router.get("/{trap_id}", response_model=Trap)
async def get_trap(trap_id: str, store: StoreDep) -> Trap:
    deployment = await _deployment(store, trap_id)
    counts = (await store.group_counts(deployment_id=trap_id)).get(trap_id, {})
    media_count = await store.count_media(MediaFilter(deployment_id=trap_id))
    return Trap(**deployment.model_dump(), counts={g.value: n for g, n in counts.items() if n}, media_count=media_count)


@router.patch("/{trap_id}", response_model=Deployment)
async def update_trap(trap_id: str, body: TrapUpdate, store: StoreDep) -> Deployment:
    deployment = await _deployment(store, trap_id)
    changes = body.model_dump(exclude_unset=True)
    updated = Deployment.model_validate({**deployment.model_dump(), **changes, "updated_at": utc_now()})
    await store.replace_deployment(updated)
    return updated


@router.delete("/{trap_id}", status_code=204)
async def delete_trap(trap_id: str, store: StoreDep) -> Response:
    if not await store.delete_deployment(trap_id):
        raise TrapNotFound(f"no trap {trap_id}")
    return Response(status_code=204)
