"""Reports built by real Celery workers consuming from the real broker (CELERY_BROKER_URL).

Transactional tests: the workers read the database through their own connections, so the
test's records must be committed. Without a broker these tests are skipped, except in CI
(CI=true), where a missing broker is a failure.
"""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import signals
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection, connections

from config.celery import app
from cooperation.models import Meeting, Report, ReportAudience, ReportStatus, Visibility
from cooperation.reports import services
from cooperation.reports.periods import month_parse
from tests.helpers import assert_pdf_shows, pdf_text

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

NOVEMBER_2022 = month_parse("2022-11")
BASE_DIR = Path(settings.BASE_DIR)


@pytest.fixture(scope="module")
def broker():
    """The real broker, emptied of earlier messages; skipped (or failed in CI) without one."""
    url = os.environ.get("CELERY_BROKER_URL", "")
    problem = None
    if not url:
        problem = "CELERY_BROKER_URL is not set: no broker for a real worker."
    else:
        try:
            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=3)
                conn.default_channel.queue_purge(app.conf.task_default_queue)
        except Exception as error:  # any failure to reach it means there is no broker
            problem = f"The broker at CELERY_BROKER_URL does not answer: {error}"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    assert not app.conf.task_always_eager, "with a broker, tasks must go through it"
    return url


@pytest.fixture
def worker(broker, media):
    """A Celery worker in a thread of this process, consuming from the real broker."""

    def close_connections(**kwargs):
        # The worker thread's own database connection must not outlive the test database.
        connections.close_all()

    signals.task_postrun.connect(close_connections, weak=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
            yield
    finally:
        signals.task_postrun.disconnect(close_connections)


def wait_until_done(report_id: int, seconds: float = 90) -> Report:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        report = Report.objects.get(pk=report_id)
        if report.status in (ReportStatus.READY, ReportStatus.FAILED):
            return report
        time.sleep(0.25)
    pytest.fail(f"Report {report_id} still {report.status} after {seconds} seconds.")


def test_a_worker_turns_a_queued_report_into_the_seed_pdf(seed, worker):
    report, queued = services.report_request(period=NOVEMBER_2022, audience=Visibility.PUBLIC)
    assert queued

    report = wait_until_done(report.pk)

    assert_pdf_shows(
        report,
        [
            "289",
            "18 Aug – 18 Sep 2022, year inferred",
            "about 95%",
            "about 95 per cent true",
            "Ministry of Interior",
            "Embassy of France in Cambodia",
            "Sar Kheng",
        ],
    )


def test_a_worker_leaves_an_internal_meeting_out_of_the_public_report(seed, worker):
    meeting = Meeting.objects.get(slug="sar-kheng-meets-french-ambassador-jacques-pellet")
    Meeting.objects.create(
        title="Closed-door follow-up on the framework",
        slug="closed-door-follow-up",
        date=meeting.date,
        summary="Internal follow-up.",
        visibility=Visibility.INTERNAL,
        owner=meeting.owner,
    ).partners.set(meeting.partners.all())

    public, _ = services.report_request(period=NOVEMBER_2022, audience=Visibility.PUBLIC)
    internal, _ = services.report_request(period=NOVEMBER_2022, audience=ReportAudience.EVERYTHING)
    public, internal = wait_until_done(public.pk), wait_until_done(internal.pk)

    assert "Closed-door follow-up on the framework" in pdf_text(internal)
    assert "Closed-door follow-up on the framework" not in pdf_text(public)


def _database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"])
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{db['NAME']}"


def test_the_procfile_worker_process_builds_a_report_once_when_sent_twice(seed, broker, tmp_path):
    """`celery -A config worker`, as the Procfile runs it (prefork pool, time limits on)."""
    if connection.vendor != "postgresql":
        pytest.skip("A separate worker process needs a database it can share: PostgreSQL.")
    media = tmp_path / "media"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "MEDIA_ROOT": str(media),
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "worker-test",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel=INFO",
            "--concurrency=2",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        report, _ = services.report_request(
            period=NOVEMBER_2022, audience=ReportAudience.EVERYTHING
        )
        from cooperation import tasks

        tasks.render_report.delay(report.pk)  # a duplicate delivery of the same message
        report = wait_until_done(report.pk, seconds=120)
        time.sleep(2)  # let the duplicate run out
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            output, _ = worker.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()

    assert report.status == ReportStatus.READY, f"{report.error}\n{output[-3000:]}"
    report.refresh_from_db()
    assert report.attempts == 1
    assert len(list(media.rglob("*.pdf"))) == 1, output[-3000:]
    # The second delivery found it done, or held by the first run's live lease, and built nothing.
    assert re.search(r"is ready, failed or gone; nothing to do|is being built by", output)
