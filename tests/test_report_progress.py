"""What a report's page and the command line say is happening to it: queued (the queue's
state, how many are ahead), building (since when, the last heartbeat), stalled, retrying
(attempt N of M, why), failed (why; the technical error for administrators only)."""

import datetime

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cooperation.models import Report, ReportAudience, ReportKind, ReportStatus
from cooperation.reports.periods import month_parse
from cooperation.reports.progress import report_progress
from cooperation.roles import EDITOR
from tests import factories

pytestmark = pytest.mark.django_db

NOVEMBER_2022 = month_parse("2022-11")
NOW = timezone.now()


def make_report(**fields) -> Report:
    fields.setdefault("kind", ReportKind.MONTHLY)
    fields.setdefault("period_start", NOVEMBER_2022.start)
    fields.setdefault("period_end", NOVEMBER_2022.end)
    return Report.objects.create(**fields)


def ago(seconds: float) -> datetime.datetime:
    return NOW - datetime.timedelta(seconds=seconds)


@pytest.fixture
def unreachable_queue(settings):
    """A broker URL nothing listens on, and no remembered answer from a reachable one."""
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    cache.clear()
    yield
    cache.clear()


def test_a_queued_report_says_how_many_are_ahead_of_it():
    for number, audience in enumerate([ReportAudience.PUBLIC, ReportAudience.EVERYTHING]):
        make_report(audience=audience, queued_at=ago(60 - number), sent_at=ago(60))
    mine = make_report(kind=ReportKind.PERIOD, queued_at=ago(5), sent_at=ago(5))
    make_report(kind=ReportKind.PERIOD, period_end=datetime.date(2022, 12, 2), queued_at=ago(1))

    progress = report_progress(mine, now=NOW, reachable=True)

    assert progress.state == "queued"
    assert progress.headline.startswith("Queued since ")
    assert progress.details == ["2 reports are ahead of it in the queue."]


def test_a_queued_report_the_broker_never_took_says_the_queue_cannot_be_reached():
    report = make_report(queued_at=ago(30), sent_at=None)

    progress = report_progress(report, now=NOW, reachable=False)

    assert progress.state == "queued"
    assert progress.details == [
        "The queue cannot be reached right now. The request is kept and is sent to the queue "
        "as soon as it answers; there is no need to ask again."
    ]
    answered = report_progress(report, now=NOW, reachable=True)
    assert answered.details == [
        "The queue answers; the request is sent to it within seconds.",
        "It is next in the queue.",
    ]


def test_a_report_sent_back_to_the_queue_says_which_attempt_is_next_and_why():
    report = make_report(
        queued_at=ago(2),
        sent_at=ago(2),
        attempts=1,
        error="The worker building it stopped answering.",
        error_detail="Lease of w1 (pid 12, run ab) expired; last heartbeat …",
    )

    progress = report_progress(report, now=NOW, reachable=True)

    assert progress.state == "retrying"
    assert progress.headline == "Retrying: attempt 2 of 3 next."
    assert progress.details[0] == (
        "The last attempt stopped: The worker building it stopped answering."
    )
    assert progress.technical.startswith("Lease of w1")


def test_a_building_report_says_since_when_and_its_last_heartbeat():
    report = make_report(
        status=ReportStatus.RUNNING,
        started_at=ago(40),
        heartbeat_at=ago(4),
        lease_expires_at=ago(-16),
        lease_owner="celery@reports-1 (pid 4242, run 1a2b3c4d)",
        attempts=1,
    )

    progress = report_progress(report, now=NOW, for_staff=True)

    assert progress.state == "building"
    assert progress.headline.startswith("Being built since ")
    assert progress.headline.endswith(", attempt 1 of 3.")
    assert progress.details == [
        "Last heartbeat from the worker: 4 seconds ago.",
        "Built by celery@reports-1 (pid 4242, run 1a2b3c4d).",
    ]
    # Which machine and process builds it is for staff, not for every reader.
    assert report_progress(report, now=NOW).details == [
        "Last heartbeat from the worker: 4 seconds ago."
    ]


def test_a_build_whose_lease_ran_out_says_its_worker_stopped_answering():
    report = make_report(
        status=ReportStatus.RUNNING,
        started_at=ago(60),
        heartbeat_at=ago(30),
        lease_expires_at=ago(10),
        attempts=1,
    )

    progress = report_progress(report, now=NOW)

    assert progress.state == "stalled"
    assert progress.headline == "The worker building it stopped answering."
    assert "takes the build over within a minute" in progress.details[1]


def test_a_failed_report_says_why_and_keeps_the_technical_error_apart():
    report = make_report(
        status=ReportStatus.FAILED,
        error="Building the report took longer than 300 seconds and was stopped.",
        error_detail="Traceback …\nSoftTimeLimitExceeded()",
    )

    progress = report_progress(report, now=NOW)

    assert (progress.state, progress.headline) == ("failed", "Building this report failed.")
    assert progress.details == [report.error]
    assert progress.technical == report.error_detail


def test_the_report_page_says_the_queue_cannot_be_reached(client, unreachable_queue):
    report = make_report(queued_at=ago(30), sent_at=None)

    page = client.get(report.get_absolute_url()).content.decode()

    assert "Queued since" in page
    assert "The queue cannot be reached right now." in page
    assert 'http-equiv="refresh"' in page


def test_the_report_page_shows_a_building_reports_heartbeat(client):
    report = make_report(
        status=ReportStatus.RUNNING,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        lease_expires_at=timezone.now() + datetime.timedelta(seconds=20),
        attempts=1,
    )

    page = client.get(report.get_absolute_url()).content.decode()

    assert "Being built since" in page and "attempt 1 of 3" in page
    assert "Last heartbeat from the worker: 0 seconds ago." in page
    assert "Try again" not in page and "Built by" not in page


def test_a_visitor_may_try_a_failed_public_dossier_again_but_not_a_monthly_report(client, seed):
    from cooperation.models import Partner

    partner = Partner.objects.visible_to(None).first()
    dossier = make_report(
        kind=ReportKind.DOSSIER,
        partner=partner,
        period_start=datetime.date(2022, 1, 1),
        period_end=timezone.localdate(),
        status=ReportStatus.FAILED,
        parameters={"scope": "whole_record"},
        error="The worker building it stopped answering.",
    )
    monthly = make_report(status=ReportStatus.FAILED)

    page = client.get(dossier.get_absolute_url()).content.decode()
    assert reverse("cooperation:report-dossier", args=[partner.slug]) in page
    assert "Try again" in page
    assert "Try again" not in client.get(monthly.get_absolute_url()).content.decode()


def test_an_editor_may_try_any_failed_report_again(client, django_capture_on_commit_callbacks):
    client.force_login(factories.user_with_role("progress-editor", EDITOR))
    report = make_report(status=ReportStatus.FAILED, error="It broke.")

    page = client.get(report.get_absolute_url()).content.decode()

    assert reverse("cooperation:report-retry", args=[report.pk]) in page
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(reverse("cooperation:report-retry", args=[report.pk]))
    report.refresh_from_db()
    assert (report.status, report.attempts, report.error, len(callbacks)) == (
        ReportStatus.QUEUED,
        0,
        "",
        1,
    )


def test_report_status_lists_what_is_not_ready_in_the_pages_sentences(capsys):
    queued = make_report(queued_at=ago(30), sent_at=ago(30))
    make_report(kind=ReportKind.PERIOD, status=ReportStatus.READY, finished_at=ago(5))

    call_command("report_status")

    out = capsys.readouterr().out
    assert out.startswith(f"#{queued.pk} {queued} (Public): Queued since")
    assert "ready" not in out.lower()


def test_report_status_exits_non_zero_on_a_failed_report_and_shows_its_technical_error(capsys):
    failed = make_report(
        status=ReportStatus.FAILED,
        error="The report could not be built because of an error in Concord.",
        error_detail="ValueError: the chart could not be drawn",
    )

    with pytest.raises(CommandError, match="1 failed"):
        call_command("report_status")
    assert "ValueError" not in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("report_status", str(failed.pk))
    assert "ValueError: the chart could not be drawn" in capsys.readouterr().out
    with pytest.raises(CommandError, match="No report #999"):
        call_command("report_status", "999")


def test_a_report_page_costs_the_same_queries_however_long_the_queue(
    client, django_assert_max_num_queries
):
    mine = make_report(queued_at=ago(1), sent_at=ago(1))
    for day in range(1, 30):
        make_report(
            kind=ReportKind.PERIOD,
            period_end=datetime.date(2022, 12, day),
            queued_at=ago(100 + day),
            sent_at=ago(100),
        )
    Client().get(mine.get_absolute_url())
    with django_assert_max_num_queries(8):
        page = client.get(mine.get_absolute_url()).content.decode()
    assert "29 reports are ahead of it in the queue." in page
