"""Recovery drills: a report's build interrupted the ways production interrupts it, with real
processes — `celery worker` (prefork, as the Procfile runs it), `celery beat` on the database
schedule, a Redis of the drill's own as the broker, and the real PostgreSQL test database.

- A worker's pool child SIGKILLed mid-build: rebuilt once the dead run's lease runs out.
- A whole worker SIGKILLed mid-build: another worker takes over through beat's sweep.
- The broker down when the report is asked for, then back: built as soon as it answers.
- Beat SIGKILLed while a build's worker dies, then restarted: the sweep resumes and rebuilds.

Each drill prints how long recovery took, asserts it is under RECOVERY_BOUND, and that exactly
one PDF exists at the end.
"""

import importlib
import os
import re
import signal
import time
from types import SimpleNamespace

import pytest
from django.apps import apps

from cooperation.models import Report, ReportStatus
from tests.processes import (
    Redis,
    base_env,
    database_url_for_subprocesses,
    get,
    manage,
    recovery_record,
    start_beat,
    start_gunicorn,
    start_worker,
    wait_for,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

RECOVERY_BOUND = 60  # seconds, from the failure (or the service's return) to a ready report
SCHEDULES = importlib.import_module("cooperation.migrations.0013_report_leases")


@pytest.fixture
def drill(processes, seed, tmp_path):
    """A Redis of the drill's own, the environment every process shares, and beat's schedule
    (a transactional test empties the tables the migrations filled)."""
    SCHEDULES.sweep_every_few_seconds(apps, None)
    redis = Redis(processes)
    redis.start()
    media = tmp_path / "media"
    env = base_env(
        DATABASE_URL=database_url_for_subprocesses(),
        CELERY_BROKER_URL=redis.url,
        MEDIA_ROOT=str(media),
        CACHE_URL="",
    )
    return SimpleNamespace(redis=redis, media=media, env=env, tmp=tmp_path)


def ask_for_report(drill, *extra) -> tuple[Report, str]:
    """November 2022's public report, asked for from the command line as a script would."""
    output = manage(drill.env, "generate_report", "--period", "2022-11", *extra)
    return Report.objects.get(), output


def report_now(report: Report) -> Report:
    report.refresh_from_db()
    return report


def building(report: Report) -> Report | None:
    """The report while a worker holds its lease, or None."""
    report = report_now(report)
    return report if report.status == ReportStatus.RUNNING and report.lease_owner else None


def kill_mid_build(drill, report: Report, kill) -> float:
    """Wait for the build to start, kill it with `kill(lease_owner)`; the moment of the kill.

    A build can finish before the kill lands; then the report is asked for again, a few times.
    """
    for _ in range(4):
        owner = wait_for(lambda: building(report), 60, interval=0.01, what="the build").lease_owner
        kill(owner)
        killed_at = time.monotonic()
        if report_now(report).status == ReportStatus.RUNNING:
            return killed_at
        manage(drill.env, "generate_report", "--period", "2022-11", "--rebuild")
    raise AssertionError("every build finished before it could be killed")


def wait_ready(report: Report, since: float, drill_name: str, *logs) -> float:
    def ready():
        state = report_now(report).status
        assert state != ReportStatus.FAILED, report.error
        return state == ReportStatus.READY

    wait_for(
        ready,
        RECOVERY_BOUND + 30,
        interval=0.2,
        what="the report to be rebuilt\n" + "\n".join(log.text()[-3000:] for log in logs),
    )
    seconds = time.monotonic() - since
    recovery_record(drill_name, seconds)
    assert seconds < RECOVERY_BOUND, f"{drill_name}: {seconds:.1f} s"
    return seconds


def assert_exactly_one_pdf(drill, report: Report) -> None:
    stored = sorted(str(p.relative_to(drill.media)) for p in drill.media.rglob("*") if p.is_file())
    assert stored == [report.file.name]
    assert Report.objects.count() == 1


def pid_of(lease_owner: str) -> int:
    return int(re.search(r"pid (\d+)", lease_owner).group(1))


def worker_holding(workers, lease_owner: str):
    (holder,) = [w for w in workers if lease_owner.startswith(w.name + "-")]
    return holder


def test_drill_a_worker_child_killed_mid_build_is_rebuilt_within_a_minute(drill, processes):
    worker = start_worker(processes, drill.env, name="drill-a")
    beat = start_beat(processes, drill.env, drill.tmp)
    report, _ = ask_for_report(drill)

    killed_at = kill_mid_build(drill, report, lambda owner: os.kill(pid_of(owner), signal.SIGKILL))

    wait_ready(report, killed_at, "worker child killed", worker, beat)
    report = report_now(report)
    assert report.attempts == 2 and worker.popen.poll() is None
    assert_exactly_one_pdf(drill, report)


def test_drill_a_whole_worker_killed_mid_build_is_rebuilt_by_another_within_a_minute(
    drill, processes
):
    workers = [start_worker(processes, drill.env, name=f"drill-{n}") for n in ("a", "b")]
    beat = start_beat(processes, drill.env, drill.tmp)
    report, _ = ask_for_report(drill)

    killed = []

    def kill_worker(owner):
        holder = worker_holding(workers, owner)
        holder.kill_group(signal.SIGKILL)
        killed.append(holder)

    killed_at = kill_mid_build(drill, report, kill_worker)

    wait_ready(report, killed_at, "whole worker killed", *workers, beat)
    report = report_now(report)
    assert report.attempts == 2
    assert not report.lease_owner.startswith(killed[-1].name + "-")
    assert_exactly_one_pdf(drill, report)


def test_drill_a_report_asked_for_while_the_broker_is_down_is_built_within_a_minute_of_its_return(
    drill, processes
):
    worker = start_worker(processes, drill.env, name="drill-a")
    beat = start_beat(processes, drill.env, drill.tmp)
    site = start_gunicorn(processes, drill.env)
    drill.redis.stop()

    report, said = ask_for_report(drill)
    assert "The queue cannot be reached right now" in said
    status, page = get(f"{site}/reports/{report.pk}/")
    assert status == 200 and "The queue cannot be reached right now" in page
    assert (report.status, report.sent_at) == (ReportStatus.QUEUED, None)
    time.sleep(15)  # long enough for the worker's and beat's reconnection back-off to grow
    assert report_now(report).status == ReportStatus.QUEUED

    drill.redis.start()
    back_at = time.monotonic()

    wait_ready(report, back_at, "broker down and back", worker, beat)
    assert report_now(report).attempts == 1
    assert_exactly_one_pdf(drill, report)


def test_drill_beat_killed_while_a_build_dies_recovers_within_a_minute_of_its_restart(
    drill, processes
):
    workers = [start_worker(processes, drill.env, name=f"drill-{n}") for n in ("a", "b")]
    beat = start_beat(processes, drill.env, drill.tmp)
    time.sleep(1)
    beat.kill_group(signal.SIGKILL)
    report, _ = ask_for_report(drill)
    kill_mid_build(
        drill, report, lambda owner: worker_holding(workers, owner).kill_group(signal.SIGKILL)
    )
    # Without beat nothing sweeps: the build stays with its dead worker past the lease.
    wait_for(
        lambda: (
            report_now(report).lease_expires_at
            and report.lease_expires_at.timestamp() < time.time()
        ),
        60,
        what="the dead build's lease to run out",
    )
    time.sleep(3)
    assert report_now(report).status == ReportStatus.RUNNING

    beat = start_beat(processes, drill.env, drill.tmp)
    restarted_at = time.monotonic()

    wait_ready(report, restarted_at, "beat restarted", *workers, beat)
    assert report_now(report).attempts == 2
    assert_exactly_one_pdf(drill, report)
