"""Writes for reports: asking for one, building its PDF, and sweeping up the stuck ones.

A report moves queued → running → ready (or failed). Every move is an optimistic claim,
`filter(pk=…, status=OLD).update(status=NEW)`, so a task delivered twice, a second worker or
the sweep can never build the same report twice at once: whoever loses the claim does nothing.
"""

import datetime
import hashlib
import logging
import os
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cooperation import visibility
from cooperation.models import Partner, Report, ReportAudience, ReportKind, ReportStatus
from cooperation.reports.collect import Subject, report_data_collect, whole_record_start
from cooperation.reports.periods import Period, previous_month
from cooperation.reports.rendering import report_pdf_render
from cooperation.reports.summary import data_hash

logger = logging.getLogger(__name__)

WHOLE_RECORD = "whole_record"

# Builds a report may start before the sweep gives up on it (each lost worker costs one).
MAX_ATTEMPTS = 3

# Errors worth another try later: the database or the disk was briefly unavailable.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


def report_kind_for(*, period: Period, partner: Partner | None) -> str:
    if partner is not None:
        return ReportKind.DOSSIER
    if period.is_calendar_month:
        return ReportKind.MONTHLY
    return ReportKind.PERIOD


def _enqueue(report_id: int) -> None:
    """Send the build task once the surrounding transaction commits.

    robust: a broker that does not answer must not undo the request that asked for the
    report; the report stays queued and the sweep sends it again.
    """
    from cooperation import tasks

    transaction.on_commit(lambda: tasks.render_report.delay(report_id), robust=True)


def report_audience_check(
    *, partner: Partner | None, audience: str, organisation: Partner | None = None
) -> None:
    """Refuse an audience that is not one, one organisation's view without its organisation
    (or an organisation for another audience), or a partner that audience may not read about."""
    if audience not in ReportAudience.values:
        raise ValidationError(
            _("Audience: choose public, one organisation's view or everything, not “%(value)s”.")
            % {"value": audience},
            code="audience",
        )
    if (audience == ReportAudience.ORGANISATION) != (organisation is not None):
        raise ValidationError(
            _("Audience: name the organisation for one organisation's view, and only then."),
            code="organisation",
        )
    viewer = visibility.audience_viewer(audience, organisation.pk if organisation else None)
    if partner is not None and not visibility.is_visible(viewer, partner):
        raise ValidationError(
            _("Partner: this audience may not see %(name)s, so its report cannot be about it.")
            % {"name": partner.name},
            code="internal_partner",
        )


@transaction.atomic
def report_request(
    *,
    period: Period,
    audience: str = ReportAudience.PUBLIC,
    organisation: Partner | None = None,
    partner: Partner | None = None,
    requested_by=None,
    rebuild: bool = False,
    parameters: dict | None = None,
) -> tuple[Report, bool]:
    """Ask for a report; returns it and whether a build was queued.

    At most one report exists per kind, period, partner and audience (with its organisation,
    for one organisation's view): asking again returns
    the existing one. A failed report is queued again; a ready one only with `rebuild`; a
    queued or running one is left alone, so asking twice never queues two builds.
    """
    report_audience_check(partner=partner, audience=audience, organisation=organisation)
    kind = report_kind_for(period=period, partner=partner)
    now = timezone.now()
    report, created = Report.objects.get_or_create(
        kind=kind,
        period_start=period.start,
        period_end=period.end,
        partner=partner,
        audience=audience,
        audience_organisation=organisation,
        defaults={
            "requested_by": requested_by if _is_user(requested_by) else None,
            "parameters": {"language": translation.get_language() or settings.LANGUAGE_CODE}
            | (parameters or {}),
            "queued_at": now,
        },
    )
    if created:
        _enqueue(report.pk)
        return report, True
    again = [ReportStatus.FAILED, ReportStatus.READY] if rebuild else [ReportStatus.FAILED]
    claimed = Report.objects.filter(pk=report.pk, status__in=again).update(
        status=ReportStatus.QUEUED, queued_at=now, error=""
    )
    if claimed:
        _enqueue(report.pk)
    report.refresh_from_db()
    return report, bool(claimed)


def _is_user(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def report_request_dossier(
    *,
    partner: Partner,
    audience: str,
    organisation: Partner | None = None,
    requested_by=None,
    rebuild: bool = False,
    today: datetime.date | None = None,
) -> tuple[Report, bool]:
    """Ask for a partner's whole record, from its earliest dated fact to today."""
    report_audience_check(partner=partner, audience=audience, organisation=organisation)
    today = today or timezone.localdate()
    start = whole_record_start(
        partner=partner, audience=audience, organisation=organisation, as_of=today
    )
    return report_request(
        period=Period(start, today),
        audience=audience,
        organisation=organisation,
        partner=partner,
        requested_by=requested_by,
        rebuild=rebuild,
        parameters={"scope": WHOLE_RECORD},
    )


def report_request_monthly(*, today: datetime.date | None = None) -> list[Report]:
    """The scheduled reports: the previous month, once for the public and once of everything."""
    period = previous_month(today or timezone.localdate())
    return [
        report_request(period=period, audience=audience)[0]
        for audience in (ReportAudience.PUBLIC, ReportAudience.EVERYTHING)
    ]


def report_subject(*, report: Report) -> Subject:
    """What a stored report covers, as the data collector reads it."""
    partner, organisation = report.partner, report.audience_organisation
    report_audience_check(partner=partner, audience=report.audience, organisation=organisation)
    return Subject(
        period=Period(report.period_start, report.period_end),
        audience=report.audience,
        organisation=organisation,
        partner=partner,
        whole_record=report.parameters.get("scope") == WHOLE_RECORD,
    )


def _judged_on(report: Report) -> datetime.date:
    stored = report.parameters.get("judged_on")
    return datetime.date.fromisoformat(stored) if stored else timezone.localdate()


def report_data_current_hash(*, report: Report) -> str:
    """The hash of the data the report would be built from now, judged on the same day."""
    language = report.parameters.get("language") or settings.LANGUAGE_CODE
    with translation.override(language):
        data = report_data_collect(subject=report_subject(report=report), today=_judged_on(report))
    return data_hash(data)


def report_file_name(*, report: Report, content: bytes) -> str:
    parts = [report.kind, report.period_start.isoformat(), report.period_end.isoformat()]
    if report.partner is not None:
        parts.append(report.partner.slug)
    parts.append(report.audience)
    digest = hashlib.sha256(content).hexdigest()[:12]
    return f"reports/{report.period_start:%Y}/{slugify('-'.join(parts))}-{report.pk}-{digest}.pdf"


def _store(name: str, content: bytes) -> str:
    """Write the file whole or not at all: to a partial name first, then renamed into place."""
    name = default_storage.get_available_name(name)
    try:
        path = Path(default_storage.path(name))
    except NotImplementedError:  # not a file system storage: it writes the file its own way
        return default_storage.save(name, ContentFile(content))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    try:
        with open(partial, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return name


def _delete_file(name: str) -> None:
    if name:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("Could not delete report file %s", name, exc_info=True)


def _error_text(error: BaseException) -> str:
    if isinstance(error, SoftTimeLimitExceeded):
        return _("Building the report took longer than %(seconds)s seconds and was stopped.") % {
            "seconds": settings.CELERY_TASK_SOFT_TIME_LIMIT
        }
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return f"{type(error).__name__}: {error}"[:2000]


def report_render(*, report_id: int) -> Report | None:
    """Build one report's PDF. Returns None when another run has it, or it is not queued.

    The PDF is built in memory and written whole; a failure leaves the report failed with
    the error text and no new file. A transient database error puts it back in the queue
    and is raised again, so that the task retries it.
    """
    started = timezone.now()
    claimed = Report.objects.filter(pk=report_id, status=ReportStatus.QUEUED).update(
        status=ReportStatus.RUNNING,
        started_at=started,
        finished_at=None,
        attempts=F("attempts") + 1,
        error="",
    )
    if not claimed:
        logger.info("Report %s is not queued (done, running or gone); nothing to do.", report_id)
        return None

    report = Report.objects.select_related("partner").get(pk=report_id)
    previous_file = report.file.name
    new_file = ""
    try:
        language = report.parameters.get("language") or settings.LANGUAGE_CODE
        judged_on = timezone.localdate()
        with translation.override(language):
            data = report_data_collect(subject=report_subject(report=report), today=judged_on)
            digest = data_hash(data)
            rendered = report_pdf_render(
                kind=report.kind, data=data, digest=digest, report_id=report.pk
            )
        new_file = _store(
            report_file_name(report=report, content=rendered.content), rendered.content
        )
        finished = Report.objects.filter(pk=report_id, status=ReportStatus.RUNNING).update(
            status=ReportStatus.READY,
            file=new_file,
            size=len(rendered.content),
            page_count=rendered.page_count,
            sha256=hashlib.sha256(rendered.content).hexdigest(),
            data_hash=digest,
            parameters=report.parameters | {"judged_on": judged_on.isoformat()},
            finished_at=timezone.now(),
        )
        if not finished:
            # The sweep gave up on this run meanwhile; its verdict stands.
            _delete_file(new_file)
            return None
        if previous_file and previous_file != new_file:
            _delete_file(previous_file)
        logger.info(
            "Report %s ready: %s pages, %s bytes, in %.1fs",
            report_id,
            rendered.page_count,
            len(rendered.content),
            (timezone.now() - started).total_seconds(),
        )
    except TRANSIENT_ERRORS:
        _delete_file(new_file)
        logger.warning("Report %s hit a transient error; back to the queue.", report_id)
        try:
            Report.objects.filter(pk=report_id, status=ReportStatus.RUNNING).update(
                status=ReportStatus.QUEUED, queued_at=timezone.now()
            )
        except DatabaseError:
            pass  # still running in the database; the sweep will fail it after the time limit
        raise
    except Exception as error:
        _delete_file(new_file)
        logger.exception("Report %s failed.", report_id)
        Report.objects.filter(pk=report_id, status=ReportStatus.RUNNING).update(
            status=ReportStatus.FAILED, error=_error_text(error), finished_at=timezone.now()
        )
    return Report.objects.get(pk=report_id)


def reports_fail_stuck(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Sweep up builds nobody is finishing.

    A report running past the hard time limit lost its worker (killed, out of memory, time
    limit): it goes back to the queue and is sent again while it has attempts left, and is
    failed after that, so a report that kills every worker stops being retried. A report
    queued that long lost its message (or the broker was down when it was sent): it is sent
    again.
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    stuck = Report.objects.filter(status=ReportStatus.RUNNING, started_at__lt=cutoff)
    requeued = []
    for report_id in stuck.filter(attempts__lt=MAX_ATTEMPTS).values_list("pk", flat=True):
        if Report.objects.filter(
            pk=report_id, status=ReportStatus.RUNNING, started_at__lt=cutoff
        ).update(status=ReportStatus.QUEUED, queued_at=now):
            requeued.append(report_id)
    failed = stuck.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=ReportStatus.FAILED,
        finished_at=now,
        error=_(
            "The build stopped without finishing %(attempts)s times (the worker stopped or ran "
            "out of time). Ask for the report again to retry."
        )
        % {"attempts": MAX_ATTEMPTS},
    )
    stale = Report.objects.filter(status=ReportStatus.QUEUED, queued_at__lt=cutoff)
    for report_id in stale.values_list("pk", flat=True):
        if Report.objects.filter(
            pk=report_id, status=ReportStatus.QUEUED, queued_at__lt=cutoff
        ).update(queued_at=now):
            requeued.append(report_id)
    for report_id in requeued:
        _enqueue(report_id)
    if failed or requeued:
        logger.warning("Report sweep: %s failed as stuck, %s sent again.", failed, len(requeued))
    return {"failed": failed, "resent": len(requeued)}


def report_retry(*, report: Report) -> bool:
    """Queue a failed or ready report again; False when it is already queued or running."""
    claimed = Report.objects.filter(
        pk=report.pk, status__in=[ReportStatus.FAILED, ReportStatus.READY]
    ).update(status=ReportStatus.QUEUED, queued_at=timezone.now(), error="")
    if claimed:
        _enqueue(report.pk)
    return bool(claimed)
