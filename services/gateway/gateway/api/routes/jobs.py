"""``/api/v1/jobs``: batch jobs (uploaders and admins, app-only partner tokens with the
uploader role too). Jobs hold counts and a trap id, never positions."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from ailurus_common.auth import Principal, Role
from ailurus_common.contracts.jobs import JOB_ID_PATTERN, Job
from gateway.api.deps import BlobsDep, CurrentPrincipal, IngestDep, MlDep, SettingsDep, ViewDep
from gateway.auth import require
from gateway.errors import JobNotFound
from gateway.jobs import JobLimits, JobParts, job_view, submit_job
from gateway.schemas import JobOut, JobPage, JobSubmit
from gateway.views import ExactView, View

router = APIRouter(prefix="/jobs", tags=["jobs"], dependencies=[Depends(require(Role.UPLOADER))])
JobId = Annotated[str, Path(pattern=JOB_ID_PATTERN)]


@router.post("", status_code=201, response_model=JobOut)
async def create_job(body: JobSubmit, request: Request, principal: CurrentPrincipal, ingest: IngestDep,
                     blobs: BlobsDep, ml: MlDep, view: ViewDep, settings: SettingsDep) -> JobOut:
    """Submit a job: the blobs under ``container``/``prefix`` or a dataset snapshot's images
    into ``trap_id``, or the archive (one trap's media) re-classified by the live model
    (422 ``model_not_live`` when ``model`` is not the one serving). A coarse caller's
    re-classification leaves out the media it may not know of (sensitive sightings)."""
    job = await submit_job(body, submitted_by=principal.subject,
                           parts=JobParts(ingest=ingest, blobs=blobs, ml=ml, queue=request.app.state.jobs_queue),
                           limits=JobLimits(allowed_containers=settings.job_containers,
                                            shard_items=settings.job_shard_items, max_items=settings.job_max_items),
                           hidden_groups=view.hidden_groups)
    return job_view(job)


def _sees(view: View, principal: Principal, job: Job) -> bool:
    """Reviewers and admins see every job; everyone else only the jobs they submitted."""
    return isinstance(view, ExactView) or job.submitted_by == principal.subject


async def _visible_job(ingest, view: View, principal: Principal, job_id: str) -> Job:
    job = await ingest.get_job(job_id)
    if not _sees(view, principal, job):
        raise JobNotFound(f"no job {job_id}")  # answered as if it did not exist
    return job


@router.get("", response_model=JobPage)
async def list_jobs(ingest: IngestDep, view: ViewDep, principal: CurrentPrincipal,
                    limit: Annotated[int, Query(ge=1, le=500)] = 50) -> JobPage:
    """The newest jobs this caller may see (its own, or every one for reviewers and admins)."""
    jobs = (await ingest.list_jobs(limit=limit)).items
    return JobPage(items=[job_view(j) for j in jobs if _sees(view, principal, j)])


@router.get("/{job_id}", response_model=JobOut)
async def get_job(job_id: JobId, ingest: IngestDep, view: ViewDep, principal: CurrentPrincipal) -> JobOut:
    """Status, counts, throughput (images/s) and ETA (s)."""
    return job_view(await _visible_job(ingest, view, principal, job_id))


@router.delete("/{job_id}", response_model=JobOut)
async def cancel_job(job_id: JobId, ingest: IngestDep, view: ViewDep, principal: CurrentPrincipal) -> JobOut:
    """Cancel; 409 ``job_finished`` when it has finished."""
    await _visible_job(ingest, view, principal, job_id)
    return job_view(await ingest.cancel_job(job_id))
