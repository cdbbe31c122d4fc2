"""What is happening to a report, in sentences: for its page and for the command line.

`report_progress` reads the report's lease, attempts and errors, and the queue's state, and
says which of these it is: queued (is the queue reachable, how many are ahead), building (since
when, the last heartbeat), stalled (the worker stopped answering), retrying (attempt N of M,
why), failed (why, for people; the technical error apart, for administrators) or ready.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cooperation.dates import format_moment
from cooperation.health import broker_state
from cooperation.models import Report, ReportStatus
from cooperation.reports.services import MAX_ATTEMPTS

QUEUE_STATE_KEY = "concord:report-queue-reachable"
QUEUE_STATE_SECONDS = 5


@dataclass(frozen=True)
class Progress:
    state: str  # queued, building, stalled, retrying, failed or ready
    headline: str
    details: list[str] = field(default_factory=list)
    technical: str = ""  # the software's own error, for administrators only


def queue_reachable() -> bool:
    """Whether the broker answers, asked at most every few seconds whoever refreshes the page."""
    reachable = cache.get(QUEUE_STATE_KEY)
    if reachable is None:
        reachable = broker_state()[0]
        cache.set(QUEUE_STATE_KEY, reachable, QUEUE_STATE_SECONDS)
    return reachable


def _clock(moment: datetime.datetime) -> str:
    return format_moment(moment, seconds=True)


def _seconds_ago(moment: datetime.datetime, now: datetime.datetime) -> int:
    return max(0, round((now - moment).total_seconds()))


def report_progress(
    report: Report,
    *,
    now: datetime.datetime | None = None,
    reachable: bool | None = None,
    for_staff: bool = False,
) -> Progress:
    """The report's state in sentences; `reachable` is the queue's (asked when not given).
    Staff also learn which worker builds it."""
    now = now or timezone.now()
    technical = report.error_detail
    if report.status == ReportStatus.READY:
        finished = report.finished_at or report.created_at
        return Progress("ready", _("Ready since %(time)s.") % {"time": _clock(finished)})
    if report.status == ReportStatus.FAILED:
        details = [report.error] if report.error else []
        return Progress("failed", _("Building this report failed."), details, technical)
    if report.status == ReportStatus.RUNNING:
        return _running(report, now, technical, for_staff)
    return _queued(report, now, technical, reachable)


def _attempt(number: int) -> str:
    return _("attempt %(number)s of %(most)s") % {"number": number, "most": MAX_ATTEMPTS}


def _running(report: Report, now: datetime.datetime, technical: str, for_staff: bool) -> Progress:
    started_at = report.started_at or now
    started = _("Being built since %(time)s, %(attempt)s.") % {
        "time": _clock(started_at),
        "attempt": _attempt(report.attempts),
    }
    heartbeat = report.heartbeat_at or started_at
    if report.lease_expires_at is None or report.lease_expires_at < now:
        return Progress(
            "stalled",
            _("The worker building it stopped answering."),
            [
                started,
                _(
                    "Its last heartbeat was at %(time)s. Another worker takes the build over "
                    "within a minute."
                )
                % {"time": _clock(heartbeat)},
            ],
            technical,
        )
    seconds = _seconds_ago(heartbeat, now)
    details = [
        ngettext(
            "Last heartbeat from the worker: %(seconds)s second ago.",
            "Last heartbeat from the worker: %(seconds)s seconds ago.",
            seconds,
        )
        % {"seconds": seconds}
    ]
    if for_staff and report.lease_owner:
        details.append(_("Built by %(worker)s.") % {"worker": report.lease_owner})
    return Progress("building", started, details, technical)


def _queued(
    report: Report, now: datetime.datetime, technical: str, reachable: bool | None
) -> Progress:
    if reachable is None:
        reachable = settings.CELERY_TASK_ALWAYS_EAGER or queue_reachable()
    details = []
    if report.attempts and report.error:
        state = "retrying"
        headline = _("Retrying: %(attempt)s next.") % {"attempt": _attempt(report.attempts + 1)}
        details.append(_("The last attempt stopped: %(reason)s") % {"reason": report.error})
    else:
        state = "queued"
        headline = _("Queued since %(time)s.") % {"time": _clock(report.queued_at or now)}
    if not reachable:
        details.append(
            _(
                "The queue cannot be reached right now. The request is kept and is sent to "
                "the queue as soon as it answers; there is no need to ask again."
            )
        )
    else:
        if report.sent_at is None:
            details.append(_("The queue answers; the request is sent to it within seconds."))
        ahead = reports_ahead(report)
        details.append(
            ngettext(
                "%(count)s report is ahead of it in the queue.",
                "%(count)s reports are ahead of it in the queue.",
                ahead,
            )
            % {"count": ahead}
            if ahead
            else _("It is next in the queue.")
        )
    return Progress(state, headline, details, technical)


def reports_ahead(report: Report) -> int:
    """The queued reports that were put in the queue before this one."""
    if report.queued_at is None:
        return 0
    return Report.objects.filter(status=ReportStatus.QUEUED, queued_at__lt=report.queued_at).count()


def progress_text(report: Report, *, technical: bool = False) -> str:
    """The same sentences as the report's page, on one line for the command line."""
    progress = report_progress(report, for_staff=True)
    text = " ".join([progress.headline, *progress.details])
    if technical and progress.technical:
        text += "\n" + progress.technical
    return text
