"""``/api/v1/traps``: validated here, stored by ingest, answered through the caller's view."""

from fastapi import APIRouter, Depends, Path, Response

from ailurus_common.auth import Role
from ailurus_common.contracts.ingest import TrapCreate, TrapUpdate
from ailurus_common.records import TRAP_ID_PATTERN
from gateway.api.deps import IngestDep, ViewDep
from gateway.auth import require
from gateway.schemas import TrapCoarse, TrapDetailCoarse, TrapDetailExact, TrapExact, TrapPageCoarse, TrapPageExact

router = APIRouter(prefix="/traps", tags=["traps"])
TrapId = Path(pattern=TRAP_ID_PATTERN)


@router.post("", status_code=201, response_model=TrapExact | TrapCoarse, dependencies=[Depends(require(Role.ADMIN))])
async def create_trap(body: TrapCreate, ingest: IngestDep, view: ViewDep) -> TrapExact | TrapCoarse:
    return view.trap(await ingest.create_trap(body))


@router.get("", response_model=TrapPageExact | TrapPageCoarse, dependencies=[Depends(require(Role.VIEWER))])
async def list_traps(ingest: IngestDep, view: ViewDep) -> TrapPageExact | TrapPageCoarse:
    return view.traps(await ingest.list_traps())


@router.get("/{trap_id}", response_model=TrapDetailExact | TrapDetailCoarse,
            dependencies=[Depends(require(Role.VIEWER))])
async def get_trap(ingest: IngestDep, view: ViewDep, trap_id: str = TrapId) -> TrapDetailExact | TrapDetailCoarse:
    """The trap with its classified media per group."""
    return view.trap_detail(await ingest.trap_detail(trap_id))


@router.patch("/{trap_id}", response_model=TrapExact | TrapCoarse, dependencies=[Depends(require(Role.ADMIN))])
async def update_trap(body: TrapUpdate, ingest: IngestDep, view: ViewDep, trap_id: str = TrapId) -> TrapExact | TrapCoarse:
    return view.trap(await ingest.update_trap(trap_id, body))


@router.delete("/{trap_id}", status_code=204, dependencies=[Depends(require(Role.ADMIN))])
async def delete_trap(ingest: IngestDep, trap_id: str = TrapId) -> Response:
    await ingest.delete_trap(trap_id)
    return Response(status_code=204)
