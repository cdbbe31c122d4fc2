"""Report tasks and the services behind them: run twice, fail, retry, sweep, schedule."""

import datetime

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from cooperation import tasks
from cooperation.models import Report, ReportAudience, ReportKind, ReportStatus
from cooperation.reports import services
from cooperation.reports.periods import month_parse
from tests import factories

pytestmark = pytest.mark.django_db

NOVEMBER_2022 = month_parse("2022-11")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


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


def test_a_running_report_is_not_built_by_a_second_delivery(queued, media):
    Report.objects.filter(pk=queued.pk).update(
        status=ReportStatus.RUNNING, started_at=timezone.now()
    )

    assert services.report_render(report_id=queued.pk) is None
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
    assert report.error == "ValueError: the chart could not be drawn"
    assert report.finished_at is not None
    assert not report.file
    assert leftovers(media) == []

    monkeypatch.undo()
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.report_retry(report=report)
    assert len(callbacks) == 1  # the task message, held back here and run in-process instead
    tasks.render_report.apply(args=[report.pk])
    report.refresh_from_db()
    assert report.status == ReportStatus.READY and report.error == ""
    assert report.attempts == 2
    assert len(pdf_files(media)) == 1


def test_a_failure_while_writing_leaves_no_partial_file(queued, media, monkeypatch):
    import os

    def full_disk(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    tasks.render_report.apply(args=[queued.pk])

    report = Report.objects.get()
    assert report.status == ReportStatus.FAILED
    assert "No space left on device" in report.error
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
    assert leftovers(media) == []
    assert OperationalError in tasks.render_report.autoretry_for


def test_asking_while_running_enqueues_nothing(queued, django_capture_on_commit_callbacks):
    Report.objects.filter(pk=queued.pk).update(status=ReportStatus.RUNNING)

    with django_capture_on_commit_callbacks() as callbacks:
        report, sent = services.report_request(period=NOVEMBER_2022, rebuild=True)

    assert (report.pk, sent, callbacks) == (queued.pk, False, [])


def test_the_sweep_resends_reports_a_dead_worker_left_running_then_fails_them(
    settings, django_capture_on_commit_callbacks
):
    now = timezone.now()
    long_ago = now - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    november = {"period_start": NOVEMBER_2022.start, "period_end": NOVEMBER_2022.end}
    stuck = Report.objects.create(
        kind=ReportKind.MONTHLY,
        **november,
        status=ReportStatus.RUNNING,
        started_at=long_ago,
        attempts=1,
    )
    hopeless = Report.objects.create(
        kind=ReportKind.DOSSIER,
        partner=factories.PartnerFactory(),
        **november,
        status=ReportStatus.RUNNING,
        started_at=long_ago,
        attempts=services.MAX_ATTEMPTS,
    )
    lost = Report.objects.create(
        kind=ReportKind.MONTHLY, **november, audience=ReportAudience.EVERYTHING, queued_at=long_ago
    )
    busy = Report.objects.create(
        kind=ReportKind.PERIOD,
        period_start=datetime.date(2022, 8, 18),
        period_end=datetime.date(2022, 9, 18),
        status=ReportStatus.RUNNING,
        started_at=now,
    )

    with django_capture_on_commit_callbacks() as callbacks:
        result = tasks.fail_stuck_reports.apply().get()

    assert result == {"failed": 1, "resent": 2}
    assert len(callbacks) == 2
    for report in (stuck, hopeless, lost, busy):
        report.refresh_from_db()
    assert stuck.status == ReportStatus.QUEUED and stuck.queued_at > long_ago
    assert hopeless.status == ReportStatus.FAILED and "stopped without finishing" in hopeless.error
    assert lost.status == ReportStatus.QUEUED and lost.queued_at > long_ago
    assert busy.status == ReportStatus.RUNNING


def test_a_report_sent_again_after_its_worker_died_is_built(queued, media):
    Report.objects.filter(pk=queued.pk).update(
        status=ReportStatus.RUNNING,
        started_at=timezone.now() - datetime.timedelta(hours=1),
        attempts=1,
    )
    services.reports_fail_stuck()
    tasks.render_report.apply(args=[queued.pk])

    report = Report.objects.get()
    assert (report.status, report.attempts) == (ReportStatus.READY, 2)
    assert len(pdf_files(media)) == 1


def test_the_monthly_job_asks_for_last_months_public_and_internal_reports_once(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks() as callbacks:
        reports = services.report_request_monthly(today=datetime.date(2022, 12, 1))
        services.report_request_monthly(today=datetime.date(2022, 12, 1))

    assert {(r.kind, r.period_start, r.period_end, r.audience) for r in reports} == {
        (ReportKind.MONTHLY, datetime.date(2022, 11, 1), datetime.date(2022, 11, 30), "public"),
        (ReportKind.MONTHLY, datetime.date(2022, 11, 1), datetime.date(2022, 11, 30), "everything"),
    }
    assert len(callbacks) == 2
    assert Report.objects.count() == 2


def test_the_beat_schedules_name_registered_tasks():
    from config.celery import app

    app.loader.import_default_modules()
    scheduled = set(PeriodicTask.objects.values_list("task", flat=True)) - {
        "celery.backend_cleanup"
    }
    assert scheduled == {
        "cooperation.tasks.generate_monthly_report",
        "cooperation.tasks.fail_stuck_reports",
    }
    assert scheduled <= set(app.tasks)
    monthly = PeriodicTask.objects.get(task="cooperation.tasks.generate_monthly_report")
    assert (monthly.crontab.day_of_month, monthly.crontab.hour, monthly.crontab.minute) == (
        "1",
        "6",
        "0",
    )
    assert str(monthly.crontab.timezone) == "Asia/Phnom_Penh"


def test_render_task_is_late_acknowledged_and_retries_with_backoff():
    task = tasks.render_report
    assert task.acks_late is True
    assert task.retry_backoff and task.max_retries >= 3
