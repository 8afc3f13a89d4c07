"""``/api/v1/traps``: validated here, stored by ingest."""

from fastapi import APIRouter, Depends, Path, Response

from ailurus_common.auth import Role
from ailurus_common.contracts import TrapCreate, TrapUpdate
from ailurus_common.records import TRAP_ID_PATTERN
from gateway.api.deps import IngestDep, PrivacyDep
from gateway.auth import require

router = APIRouter(prefix="/traps", tags=["traps"])
TrapId = Path(pattern=TRAP_ID_PATTERN)


@router.post("", status_code=201, dependencies=[Depends(require(Role.ADMIN))])
async def create_trap(body: TrapCreate, ingest: IngestDep) -> dict:
    return await ingest.call("POST", "/v1/traps", json=body.model_dump(mode="json", exclude_unset=True))


@router.get("", dependencies=[Depends(require(Role.VIEWER))])
async def list_traps(ingest: IngestDep, privacy: PrivacyDep) -> dict:
    traps = await ingest.call("GET", "/v1/traps")
    return {**traps, "items": [privacy.trap(t) for t in traps["items"]]} if privacy else traps


@router.get("/{trap_id}", dependencies=[Depends(require(Role.VIEWER))])
async def get_trap(ingest: IngestDep, privacy: PrivacyDep, trap_id: str = TrapId) -> dict:
    trap = await ingest.call("GET", f"/v1/traps/{trap_id}")
    return privacy.trap(trap) if privacy else trap


@router.patch("/{trap_id}", dependencies=[Depends(require(Role.ADMIN))])
async def update_trap(body: TrapUpdate, ingest: IngestDep, trap_id: str = TrapId) -> dict:
    return await ingest.call("PATCH", f"/v1/traps/{trap_id}", json=body.model_dump(mode="json", exclude_unset=True))


@router.delete("/{trap_id}", status_code=204, dependencies=[Depends(require(Role.ADMIN))])
async def delete_trap(ingest: IngestDep, trap_id: str = TrapId) -> Response:
    await ingest.call("DELETE", f"/v1/traps/{trap_id}")
    return Response(status_code=204)
