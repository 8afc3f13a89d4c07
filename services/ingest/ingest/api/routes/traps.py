"""Camera traps (Camtrap DP deployments) and the originals uploaded to them."""

import re

from fastapi import APIRouter, Response
from pydantic import ValidationError

from ailurus_common.contracts.ingest import MediaBatch, MediaBatchResult, TrapCreate, TrapDetail, TrapList, TrapUpdate
from ailurus_common.records import Deployment, MediaFilter, utc_now
from ailurus_common.storage.errors import Conflict
from ingest.api.deps import EventsDep, SettingsDep, StoreDep
from ingest.errors import InvalidQuery, TrapExists, TrapNotFound
from ingest.recording import deployment_or_404, record_upload

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


@router.get("/{trap_id}", response_model=Deployment)
async def get_trap(trap_id: str, store: StoreDep) -> Deployment:
    """The trap alone: one read (the upload path's existence check)."""
    return await deployment_or_404(store, trap_id)


@router.get("/{trap_id}/detail", response_model=TrapDetail)
async def get_trap_detail(trap_id: str, store: StoreDep) -> TrapDetail:
    """The trap with its counts per group and its number of media."""
    deployment = await deployment_or_404(store, trap_id)
    counts = (await store.group_counts(deployment_id=trap_id)).get(trap_id, {})
    media_count = await store.count_media(MediaFilter(deployment_id=trap_id))
    return TrapDetail(**deployment.model_dump(), counts={g: n for g, n in counts.items() if n}, media_count=media_count)


@router.patch("/{trap_id}", response_model=Deployment)
async def update_trap(trap_id: str, body: TrapUpdate, store: StoreDep) -> Deployment:
    deployment = await deployment_or_404(store, trap_id)
    changes = body.model_dump(exclude_unset=True)
    try:
        updated = Deployment.model_validate({**deployment.model_dump(), **changes, "updated_at": utc_now()})
    except ValidationError as exc:  # the change is valid alone, not on this trap
        raise InvalidQuery(f"the trap would be invalid: {exc.errors()[0]['msg']}") from None
    await store.replace_deployment(updated)
    return updated


@router.delete("/{trap_id}", status_code=204)
async def delete_trap(trap_id: str, store: StoreDep) -> Response:
    if not await store.delete_deployment(trap_id):
        raise TrapNotFound(f"no trap {trap_id}")
    return Response(status_code=204)


@router.post("/{trap_id}/media", response_model=MediaBatchResult)
async def record_media(trap_id: str, body: MediaBatch, store: StoreDep, settings: SettingsDep,
                       events: EventsDep) -> MediaBatchResult:
    """Record the originals of one upload (classified, or pending with the error that
    stopped them) in one write; bursts are grouped here."""
    return await record_upload(store, trap_id, body, sequence_gap_s=settings.sequence_gap_s, events=events)
