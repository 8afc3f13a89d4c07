"""``GET /api/v1/uploads/{upload_id}/events``: live per-file progress of an upload."""

from fastapi import APIRouter, Depends, Path
from fastapi.responses import StreamingResponse

from ailurus_common.auth import Role
from gateway.api.deps import ProgressDep, UserDep
from gateway.auth import require
from gateway.progress import UPLOAD_ID_PATTERN

router = APIRouter(tags=["images"])


@router.get("/uploads/{upload_id}/events", response_class=StreamingResponse,
            dependencies=[Depends(require(Role.UPLOADER))],
            responses={200: {"content": {"text/event-stream": {}}}})
async def upload_events(progress: ProgressDep, user: UserDep,
                        upload_id: str = Path(pattern=UPLOAD_ID_PATTERN)) -> StreamingResponse:
    """Server-Sent Events, one ``data:`` JSON per file step (``received``, ``stored``,
    then its result once classified; a later event for the same index replaces it when
    recording changed it, e.g. to ``duplicate``) and ``event: done`` at the end. May be opened before the upload
    starts. Only the uploader sees them."""
    stream = progress.events(upload_id, user)
    return StreamingResponse(stream, media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
