"""Report tasks and the services behind them: run twice, fail, retry, sweep, schedule."""

import datetime
import threading
import time

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError, connections
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from cooperation import tasks
from cooperation.models import Partner, Report, ReportAudience, ReportKind, ReportStatus
from cooperation.reports import leases, services
from cooperation.reports.periods import month_parse
from tests import factories

pytestmark = pytest.mark.django_db

NOVEMBER_2022 = month_parse("2022-11")


@pytest.fixture
def queued(django_capture_on_commit_callbacks):
    """A queued November 2022 report whose task message is held back."""
    factories.MeetingFactory(title="Talks on shelters", date=datetime.date(2022, 11, 4))
    with django_capture_on_commit_callbacks():
        report, _queued = services.report_request(period=NOVEMBER_2022)
    return report


def pdf_files(media):
    return sorted(media.rglob("*.pdf")) if media.exists() else []


def leftovers(media):
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []


def test_the_task_run_twice_builds_one_report_and_one_file(queued, media):
    first = tasks.render_report.apply(args=[queued.pk]).get()
    second = tasks.render_report.apply(args=[queued.pk]).get()

    assert (first, second) == (ReportStatus.READY, None)
    report = Report.objects.get()
    assert report.attempts == 1
    assert [p.name for p in pdf_files(media)] == [report.file.name.rsplit("/", 1)[-1]]


def test_a_running_report_is_not_built_by_a_second_delivery_while_its_lease_lives(
    queued, media, django_capture_on_commit_callbacks
):
    until = timezone.now() + datetime.timedelta(seconds=15)
    Report.objects.filter(pk=queued.pk).update(
        status=ReportStatus.RUNNING,
        started_at=timezone.now(),
        lease_owner="worker-a (pid 1, run x)",
        lease_expires_at=until,
        attempts=1,
    )

    assert services.report_render(report_id=queued.pk) == services.Held(until=until)
    with django_capture_on_commit_callbacks() as callbacks:
        assert tasks.render_report(queued.pk) == "held"  # as a worker runs it
    assert len(callbacks) == 1  # it comes back when the lease runs out, to take over if need be
    with django_capture_on_commit_callbacks() as callbacks:
        assert tasks.render_report.apply(args=[queued.pk]).get() == "held"
    assert callbacks == []  # in-process there is no later to come back at
    assert pdf_files(media) == []
    report = Report.objects.get()
    assert (report.status, report.lease_owner, report.attempts) == (
        ReportStatus.RUNNING,
        "worker-a (pid 1, run x)",
        1,
    )


def test_a_redelivered_task_takes_over_a_running_report_whose_lease_expired(queued, media):
    dead = "worker-a (pid 1, run x)"
    Report.objects.filter(pk=queued.pk).update(
        status=ReportStatus.RUNNING,
        started_at=timezone.now() - datetime.timedelta(seconds=40),
        lease_owner=dead,
        lease_expires_at=timezone.now() - datetime.timedelta(seconds=1),
        attempts=1,
    )

    assert tasks.render_report.apply(args=[queued.pk]).get() == ReportStatus.READY
    report = Report.objects.get()
    assert (report.attempts, report.lease_expires_at) == (2, None)
    assert report.lease_owner != dead
    assert len(pdf_files(media)) == 1
    # The dead run, had it only been slow, can no longer write over the build that replaced it.
    assert leases.held(report, dead).update(status=ReportStatus.FAILED) == 0


def test_a_report_out_of_attempts_whose_lease_expired_is_failed_not_built(queued, media):
    Report.objects.filter(pk=queued.pk).update(
        status=ReportStatus.RUNNING,
        lease_expires_at=timezone.now() - datetime.timedelta(seconds=1),
        attempts=services.MAX_ATTEMPTS,
    )

    assert services.report_render(report_id=queued.pk) is None
    report = Report.objects.get()
    assert report.status == ReportStatus.FAILED
    assert "stopped without finishing 3 times" in report.error
    assert pdf_files(media) == []


def test_a_failure_while_rendering_leaves_the_report_failed_with_no_file_and_retry_works(
    queued, media, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(**kwargs):
        raise ValueError("the chart could not be drawn")

    monkeypatch.setattr(services, "report_pdf_render", broken)
    tasks.render_report.apply(args=[queued.pk])

    report = Report.objects.get()
    assert report.status == ReportStatus.FAILED
    assert "an error in Concord" in report.error and "ValueError" not in report.error
    assert "ValueError: the chart could not be drawn" in report.error_detail
    assert report.finished_at is not None
    assert not report.file
    assert leftovers(media) == []

    monkeypatch.undo()
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.report_retry(report=report)
    assert len(callbacks) == 1  # the task message, held back here and run in-process instead
    tasks.render_report.apply(args=[report.pk])
    report.refresh_from_db()
    assert report.status == ReportStatus.READY
    assert (report.error, report.error_detail) == ("", "")
    assert report.attempts == 1  # asking again counts the attempts afresh
    assert len(pdf_files(media)) == 1


def test_a_failure_while_writing_leaves_no_partial_file(queued, media, monkeypatch):
    import os

    def full_disk(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    tasks.render_report.apply(args=[queued.pk])

    report = Report.objects.get()
    assert report.status == ReportStatus.FAILED
    assert "No space left on device" in report.error_detail
    assert leftovers(media) == []


def test_a_report_stopped_by_the_soft_time_limit_says_so(queued, media, monkeypatch):
    def slow(**kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(services, "report_pdf_render", slow)
    services.report_render(report_id=queued.pk)

    report = Report.objects.get()
    assert report.status == ReportStatus.FAILED
    assert "took longer than" in report.error


def test_a_transient_database_error_puts_the_report_back_in_the_queue_for_a_retry(
    queued, media, monkeypatch
):
    def unavailable(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "report_data_collect", unavailable)
    with pytest.raises(OperationalError):
        services.report_render(report_id=queued.pk)

    report = Report.objects.get()
    assert report.status == ReportStatus.QUEUED
    assert report.error == "The database was briefly unavailable; the build is tried again."
    assert "server closed the connection" in report.error_detail
    assert leftovers(media) == []
    assert OperationalError in tasks.render_report.autoretry_for


def test_a_transient_error_on_the_last_attempt_fails_the_report(queued, media, monkeypatch):
    def unavailable(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    Report.objects.filter(pk=queued.pk).update(attempts=services.MAX_ATTEMPTS - 1)
    monkeypatch.setattr(services, "report_data_collect", unavailable)
    with pytest.raises(OperationalError):
        services.report_render(report_id=queued.pk)

    report = Report.objects.get()
    assert report.status == ReportStatus.FAILED
    assert "unavailable on each of 3 attempts" in report.error


def test_asking_while_running_enqueues_nothing(queued, django_capture_on_commit_callbacks):
    Report.objects.filter(pk=queued.pk).update(status=ReportStatus.RUNNING)

    with django_capture_on_commit_callbacks() as callbacks:
        report, sent = services.report_request(period=NOVEMBER_2022, rebuild=True)

    assert (report.pk, sent, callbacks) == (queued.pk, False, [])


def test_the_sweep_requeues_builds_whose_lease_expired_then_fails_them_and_resends_unsent(
    settings, django_capture_on_commit_callbacks
):
    now = timezone.now()
    expired = now - datetime.timedelta(seconds=1)
    long_ago = now - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    november = {"period_start": NOVEMBER_2022.start, "period_end": NOVEMBER_2022.end}
    partners = iter(factories.PartnerFactory.create_batch(4))

    def report(**fields):
        return Report.objects.create(
            kind=ReportKind.DOSSIER, partner=next(partners), **november, **fields
        )

    stopped = report(
        status=ReportStatus.RUNNING, lease_owner="a", lease_expires_at=expired, attempts=1
    )
    hopeless = report(
        status=ReportStatus.RUNNING,
        lease_owner="b",
        lease_expires_at=expired,
        attempts=services.MAX_ATTEMPTS,
    )
    unsent = report(queued_at=now - datetime.timedelta(seconds=10), sent_at=None)
    lost = Report.objects.create(
        kind=ReportKind.MONTHLY, **november, queued_at=long_ago, sent_at=long_ago
    )
    busy = report(
        status=ReportStatus.RUNNING,
        lease_owner="c",
        lease_expires_at=now + datetime.timedelta(seconds=10),
        attempts=1,
    )
    just_asked = Report.objects.create(
        kind=ReportKind.MONTHLY,
        audience=ReportAudience.EVERYTHING,
        **november,
        queued_at=now,
        sent_at=None,
    )

    with django_capture_on_commit_callbacks() as callbacks:
        result = tasks.recover_reports.apply().get()

    assert result == {"failed": 1, "resent": 3}
    assert len(callbacks) == 3
    for each in (stopped, hopeless, unsent, lost, busy, just_asked):
        each.refresh_from_db()
    assert (stopped.status, stopped.sent_at, stopped.lease_expires_at) == (
        ReportStatus.QUEUED,
        None,
        None,
    )
    assert stopped.error == "The worker building it stopped answering."
    assert "Lease of a expired" in stopped.error_detail
    assert hopeless.status == ReportStatus.FAILED and "stopped without finishing" in hopeless.error
    assert (unsent.status, lost.status, lost.sent_at) == (ReportStatus.QUEUED,) * 2 + (None,)
    assert busy.status == ReportStatus.RUNNING
    assert just_asked.status == ReportStatus.QUEUED  # its own send is still landing


def test_a_report_sent_again_after_its_worker_died_is_built(queued, media):
    Report.objects.filter(pk=queued.pk).update(
        status=ReportStatus.RUNNING,
        started_at=timezone.now() - datetime.timedelta(minutes=1),
        lease_expires_at=timezone.now() - datetime.timedelta(seconds=30),
        attempts=1,
    )
    services.reports_recover()
    assert Report.objects.get().status == ReportStatus.QUEUED
    tasks.render_report.apply(args=[queued.pk])

    report = Report.objects.get()
    assert (report.status, report.attempts) == (ReportStatus.READY, 2)
    assert len(pdf_files(media)) == 1


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_renews_the_lease_and_stops_once_another_run_took_over(settings):
    settings.REPORT_HEARTBEAT_SECONDS = 0.2
    settings.REPORT_LEASE_SECONDS = 2
    start = timezone.now()
    report = Report.objects.create(
        kind=ReportKind.MONTHLY,
        period_start=NOVEMBER_2022.start,
        period_end=NOVEMBER_2022.end,
        status=ReportStatus.RUNNING,
        lease_owner="me",
        heartbeat_at=start,
        lease_expires_at=start,
    )
    with leases.Heartbeat(report, "me") as heartbeat:
        time.sleep(0.7)
        report.refresh_from_db()
        assert report.heartbeat_at > start
        assert report.lease_expires_at > report.heartbeat_at
        Report.objects.filter(pk=report.pk).update(lease_owner="another run")
        time.sleep(0.7)
        assert heartbeat.lost
        renewed = Report.objects.get(pk=report.pk).heartbeat_at
        time.sleep(0.5)
        assert Report.objects.get(pk=report.pk).heartbeat_at == renewed


def test_the_monthly_job_asks_for_last_months_public_and_internal_reports_once_per_language(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks() as callbacks:
        reports = services.report_request_monthly(today=datetime.date(2022, 12, 1))
        services.report_request_monthly(today=datetime.date(2022, 12, 1))

    november = (ReportKind.MONTHLY, datetime.date(2022, 11, 1), datetime.date(2022, 11, 30))
    assert {(r.kind, r.period_start, r.period_end, r.audience, r.language) for r in reports} == {
        (*november, audience, language)
        for audience in ("public", "everything")
        for language in ("en", "fr", "km")
    }
    assert len(callbacks) == 6
    assert Report.objects.count() == 6


def test_the_beat_schedules_name_registered_tasks():
    from config.celery import app

    app.loader.import_default_modules()
    scheduled = set(PeriodicTask.objects.values_list("task", flat=True)) - {
        "celery.backend_cleanup"
    }
    assert scheduled == {
        "cooperation.tasks.generate_monthly_report",
        "cooperation.tasks.recover_reports",
        "cooperation.tasks.send_digests",
    }
    assert scheduled <= set(app.tasks)
    monthly = PeriodicTask.objects.get(task="cooperation.tasks.generate_monthly_report")
    assert (monthly.crontab.day_of_month, monthly.crontab.hour, monthly.crontab.minute) == (
        "1",
        "6",
        "0",
    )
    assert str(monthly.crontab.timezone) == "Asia/Phnom_Penh"
    sweep = PeriodicTask.objects.get(task="cooperation.tasks.recover_reports")
    assert (sweep.interval.every, sweep.interval.period, sweep.enabled) == (10, "seconds", True)


def test_render_task_is_late_acknowledged_and_retries_with_backoff():
    task = tasks.render_report
    assert task.acks_late is True
    assert task.retry_backoff and task.max_retries >= 3


@pytest.mark.django_db(transaction=True)
def test_a_build_longer_than_its_lease_is_never_mistaken_for_a_dead_one(
    settings, media, monkeypatch
):
    """Its heartbeat keeps the lease alive: the sweep and a second delivery leave it alone."""
    settings.REPORT_LEASE_SECONDS = 1
    settings.REPORT_HEARTBEAT_SECONDS = 0.2
    report = Report.objects.create(
        kind=ReportKind.MONTHLY, period_start=NOVEMBER_2022.start, period_end=NOVEMBER_2022.end
    )
    real_render = services.report_pdf_render

    def slow_render(**kwargs):
        time.sleep(3)  # three leases long
        return real_render(**kwargs)

    monkeypatch.setattr(services, "report_pdf_render", slow_render)

    def build_on_a_worker_thread():
        try:
            services.report_render(report_id=report.pk)
        finally:
            connections.close_all()

    build = threading.Thread(target=build_on_a_worker_thread)
    build.start()
    try:
        while Report.objects.get(pk=report.pk).status != ReportStatus.RUNNING:
            time.sleep(0.01)  # the worker thread claims the build first
        outcomes = []
        while build.is_alive():
            outcomes.append(services.report_render(report_id=report.pk))
            assert services.reports_recover() == {"failed": 0, "resent": 0}
            time.sleep(0.3)
    finally:
        build.join()

    # Every look while it built found it held; the last may come as it finished.
    assert len(outcomes) >= 5
    assert all(isinstance(outcome, services.Held) for outcome in outcomes[:-1])
    report.refresh_from_db()
    assert (report.status, report.attempts) == (ReportStatus.READY, 1)
    assert len(pdf_files(media)) == 1


def test_a_rebuilt_report_with_a_long_name_is_stored(media):
    """A rebuild whose PDF is byte-identical gets a suffixed name; a long partner slug and a
    large report number must still fit the file column."""
    partner = factories.PartnerFactory(slug="p" * Partner._meta.get_field("slug").max_length)
    report = Report.objects.create(
        pk=12_345_678,
        kind=ReportKind.DOSSIER,
        partner=partner,
        period_start=NOVEMBER_2022.start,
        period_end=NOVEMBER_2022.end,
        audience=ReportAudience.EVERYTHING,
    )
    for _ in range(2):
        assert services.report_render(report_id=report.pk).status == ReportStatus.READY
        services.report_retry(report=report)
    assert len(pdf_files(media)) == 1
