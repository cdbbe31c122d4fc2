"""Leases on report builds: who is building a report, and whether they still are.

A worker that claims a report holds its lease for REPORT_LEASE_SECONDS and renews it every
REPORT_HEARTBEAT_SECONDS from a thread of its own while it builds. A lease not renewed in time
means the worker died (killed, out of memory, its machine gone): any worker may take the build
over, and the sweep puts it back in the queue. Every write names the lease's owner, so a worker
that lost its lease can never overwrite the build that replaced it.
"""

import datetime
import logging
import os
import threading
import uuid

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.models import Q
from django.utils import timezone

from cooperation.models import Report, ReportStatus

logger = logging.getLogger(__name__)


def lease_owner_name(worker: str = "") -> str:
    """A name for one build run: the worker, the process and a token unique to the run."""
    return f"{worker or os.uname().nodename} (pid {os.getpid()}, run {uuid.uuid4().hex[:8]})"


def lease_until(now: datetime.datetime) -> datetime.datetime:
    return now + datetime.timedelta(seconds=settings.REPORT_LEASE_SECONDS)


def lease_expired(now: datetime.datetime) -> Q:
    """Running reports whose worker stopped renewing the lease (or never held one)."""
    return Q(status=ReportStatus.RUNNING) & (
        Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True)
    )


def held(report: Report, owner: str):
    """The report as long as `owner` still holds its lease, for a write that must not land
    after another worker took over."""
    return Report.objects.filter(pk=report.pk, status=ReportStatus.RUNNING, lease_owner=owner)


class Heartbeat:
    """Renews a build's lease from a thread while the `with` block runs.

    The thread opens its own database connection and closes it when it stops. A renewal the
    database refuses is tried again at the next beat; a lease found taken over stops the beat
    (`lost` turns true), and the build's final write, filtered on the owner, then lands nowhere.
    """

    def __init__(self, report: Report, owner: str):
        self.report = report
        self.owner = owner
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name=f"report-{report.pk}-heartbeat", daemon=True
        )

    def __enter__(self):
        if not _in_memory_database():
            self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=settings.REPORT_HEARTBEAT_SECONDS + 5)

    def _beat(self):
        try:
            while not self._stop.wait(settings.REPORT_HEARTBEAT_SECONDS):
                now = timezone.now()
                try:
                    renewed = held(self.report, self.owner).update(
                        heartbeat_at=now, lease_expires_at=lease_until(now)
                    )
                except DatabaseError:
                    logger.warning("Report %s: lease not renewed this time.", self.report.pk)
                    continue
                if not renewed:
                    self.lost = True
                    logger.warning("Report %s: lease taken over; stopping.", self.report.pk)
                    return
        finally:
            connections.close_all()


def _in_memory_database() -> bool:
    """SQLite's :memory: database is one per connection: a thread would not see the report."""
    database = connections["default"]
    return database.vendor == "sqlite" and database.settings_dict["NAME"] == ":memory:"
