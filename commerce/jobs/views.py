"""HTTP edge of the job queue: what is queued, what failed, and retrying dead jobs (admin)."""

from __future__ import annotations

from pydantic import BaseModel

from commerce.jobs import service
from commerce.jobs.models import JobPublic, JobStatus
from commerce.validation import Identifier
from commerce.web.auth import current_actor
from commerce.web.database import db_session
from commerce.web.openapi import api_blueprint
from commerce.web.pagination import ItemList, ListQuery, page_of
from commerce.web.responses import respond

bp = api_blueprint("jobs", __name__, tag="Operations", description="Probes, background jobs")


class JobPath(BaseModel):
    job_id: Identifier


class JobQuery(ListQuery):
    status: JobStatus | None = None
    kind: str | None = None


@bp.get("/jobs", responses={200: ItemList[JobPublic]})
def list_jobs(query: JobQuery):
    """Background jobs, oldest first (admin)."""
    page = service.list_jobs(
        db_session(), actor=current_actor(), limit=query.limit, after=query.cursor, status=query.status, kind=query.kind
    )
    return respond(page_of(JobPublic, page))


@bp.post("/jobs/<int:job_id>/retry", responses={200: JobPublic})
def retry_job(path: JobPath):
    """Give a dead job a fresh set of attempts (admin)."""
    job = service.retry_dead(db_session(), actor=current_actor(), job_id=path.job_id)
    return respond(JobPublic.model_validate(job, from_attributes=True))
