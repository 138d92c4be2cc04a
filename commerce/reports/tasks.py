"""Keeping the export summary fresh: the scheduler queues a rebuild of the recent months, a worker runs it."""

from __future__ import annotations

import logging

from commerce.db import Database, write_transaction
from commerce.deployment import Deployment
from commerce.jobs import service as jobs
from commerce.jobs.models import Job
from commerce.reports import service, statistics

log = logging.getLogger(__name__)
REFRESH_KIND = "reports.refresh"
PRIORITY_REPORTS = 120


def queue_recent_refresh(database: Database) -> int:
    """The scheduler's part: one job rebuilding this month and the last."""
    periods = service.recent_periods()
    with database.session() as session, write_transaction(session):
        return jobs.enqueue(
            session,
            kind=REFRESH_KIND,
            key="reports:recent",
            payload={"periods": periods},
            priority=PRIORITY_REPORTS,
        )


def refresh_summary(deployment: Deployment, job: Job) -> None:
    """Rebuild the named months of the summary, one transaction each."""
    database = deployment.database
    for period in job.payload["periods"]:
        with database.session() as session:
            done = statistics.refresh_period(session, period)
        log.info("export summary rebuilt", extra={"period": period, "cells": done.cells})
