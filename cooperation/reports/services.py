"""Writes for reports: asking for one, building its PDF, and recovering the stopped ones.

A report moves queued → running → ready (or failed). Every move is an optimistic claim,
`filter(pk=…, status=OLD).update(status=NEW)`, so a task delivered twice, a second worker or
the sweep can never build the same report twice at once: whoever loses the claim does nothing.
A running report is held under a lease its worker renews (`leases`); once the lease expires
another worker may take the build over, and the earlier run's writes land nowhere.
"""

import datetime
import hashlib
import logging
import os
import traceback
from dataclasses import dataclass
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cooperation import visibility
from cooperation.models import Partner, Report, ReportAudience, ReportKind, ReportStatus
from cooperation.reports import leases
from cooperation.reports.collect import Subject, report_data_collect, whole_record_start
from cooperation.reports.periods import Period, previous_month
from cooperation.reports.rendering import report_pdf_render
from cooperation.reports.summary import data_hash
from cooperation.selectors.brief import last_meeting_get

logger = logging.getLogger(__name__)

WHOLE_RECORD = "whole_record"
SINCE_LAST_MEETING = "since_last_meeting"  # a partner brief's scope (`report_request_brief`)

# Builds one request may start before it is failed (each worker lost on it costs one).
MAX_ATTEMPTS = 3

# Errors worth another try later: the database or the disk was briefly unavailable.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)

# A report the broker did not take is sent again by the sweep once it is this old, leaving the
# request's own send (right after it commits) the time to land.
SEND_GRACE_SECONDS = 5


@dataclass(frozen=True)
class Held:
    """The report is being built by a worker whose lease runs until `until`."""

    until: datetime.datetime

    def seconds_left(self, now: datetime.datetime | None = None) -> float:
        return max(0.0, (self.until - (now or timezone.now())).total_seconds())


def report_kind_for(*, period: Period, partner: Partner | None) -> str:
    if partner is not None:
        return ReportKind.DOSSIER
    if period.is_calendar_month:
        return ReportKind.MONTHLY
    return ReportKind.PERIOD


def report_enqueue(report_id: int, *, countdown: float | None = None) -> None:
    """Send the build task once the surrounding transaction commits (at once outside one)."""
    transaction.on_commit(lambda: report_send(report_id, countdown=countdown), robust=True)


def report_send(report_id: int, *, countdown: float | None = None) -> bool:
    """Hand the build task to the broker; False when the broker did not take it.

    A broker that does not answer must not undo the request that asked for the report: the
    report stays queued with no `sent_at`, which the page shows, and the sweep sends it again
    as soon as the broker answers.
    """
    from cooperation import tasks

    try:
        tasks.render_report.apply_async((report_id,), countdown=countdown)
    except Exception:
        logger.warning("Report %s could not be sent to the queue.", report_id, exc_info=True)
        return False
    Report.objects.filter(pk=report_id, status=ReportStatus.QUEUED, sent_at=None).update(
        sent_at=timezone.now()
    )
    return True


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
    language: str = "",
    parameters: dict | None = None,
    kind: str = "",
) -> tuple[Report, bool]:
    """Ask for a report, in `language` (the active language when not given); returns it and
    whether a build was queued.

    At most one report exists per kind, period, partner, audience (with its organisation,
    for one organisation's view) and language: asking again returns the existing one. A failed report is queued again; a ready one only with `rebuild`; a
    queued or running one is left alone, so asking twice never queues two builds.
    """
    report_audience_check(partner=partner, audience=audience, organisation=organisation)
    kind = kind or report_kind_for(period=period, partner=partner)
    language = report_language(language)
    now = timezone.now()
    report, created = Report.objects.get_or_create(
        kind=kind,
        period_start=period.start,
        period_end=period.end,
        partner=partner,
        audience=audience,
        audience_organisation=organisation,
        language=language,
        defaults={
            "requested_by": requested_by if _is_user(requested_by) else None,
            "parameters": parameters or {},
            "queued_at": now,
        },
    )
    if created:
        report_enqueue(report.pk)
        return report, True
    again = [ReportStatus.FAILED, ReportStatus.READY] if rebuild else [ReportStatus.FAILED]
    claimed = Report.objects.filter(pk=report.pk, status__in=again).update(**_fresh_queue(now))
    if claimed:
        report_enqueue(report.pk)
    report.refresh_from_db()
    return report, bool(claimed)


def report_language(language: str = "") -> str:
    """The language a report is written in: the one asked for, else the active one; refused
    when Concord does not speak it."""
    known = [code for code, _name in settings.LANGUAGES]
    if not language:
        return translation.get_supported_language_variant(
            translation.get_language() or settings.LANGUAGE_CODE
        )
    if language not in known:
        raise ValidationError(
            _("Language: choose one of %(languages)s, not “%(value)s”.")
            % {"languages": ", ".join(known), "value": language},
            code="language",
        )
    return language


def _fresh_queue(now: datetime.datetime) -> dict:
    """The fields of a report asked for again: back in the queue, its attempts counted anew."""
    return {
        "status": ReportStatus.QUEUED,
        "queued_at": now,
        "sent_at": None,
        "attempts": 0,
        "error": "",
        "error_detail": "",
    }


def _is_user(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def report_request_dossier(
    *,
    partner: Partner,
    audience: str,
    organisation: Partner | None = None,
    requested_by=None,
    rebuild: bool = False,
    language: str = "",
    today: datetime.date | None = None,
) -> tuple[Report, bool]:
    """Ask for a partner's whole record, from its earliest dated fact to today."""
    return _report_request_about_partner(
        scope=WHOLE_RECORD,
        partner=partner,
        audience=audience,
        organisation=organisation,
        requested_by=requested_by,
        rebuild=rebuild,
        language=language,
        today=today,
    )


def report_request_brief(
    *,
    partner: Partner,
    audience: str,
    organisation: Partner | None = None,
    requested_by=None,
    rebuild: bool = False,
    language: str = "",
    today: datetime.date | None = None,
) -> tuple[Report, bool]:
    """Ask for a partner's brief: from the day of the last meeting with it that the audience
    may see to today (`selectors.brief`), or its whole record when there is none. Asking again
    the same day, with no newer meeting, returns the same report."""
    return _report_request_about_partner(
        scope=SINCE_LAST_MEETING,
        partner=partner,
        audience=audience,
        organisation=organisation,
        requested_by=requested_by,
        rebuild=rebuild,
        language=language,
        today=today,
    )


def _report_request_about_partner(
    *,
    scope: str,
    partner: Partner,
    audience: str,
    organisation: Partner | None,
    requested_by,
    rebuild: bool,
    language: str,
    today: datetime.date | None,
) -> tuple[Report, bool]:
    """Ask for a report about one partner that runs to today: its brief (`SINCE_LAST_MEETING`)
    from the day of the last meeting with it the audience may see, or its dossier
    (`WHOLE_RECORD`); a brief with no such meeting starts where the dossier does, at the
    partner's earliest dated fact."""
    report_audience_check(partner=partner, audience=audience, organisation=organisation)
    today = today or timezone.localdate()
    parameters: dict = {"scope": scope}
    kind = ""
    meeting = None
    if scope == SINCE_LAST_MEETING:
        viewer = visibility.audience_viewer(audience, organisation.pk if organisation else None)
        meeting = last_meeting_get(viewer=viewer, partner=partner, today=today)
        parameters["meeting"] = meeting.pk if meeting else None
        kind = ReportKind.BRIEF
    if meeting is not None and meeting.date is not None:
        start = meeting.date
    else:
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
        language=language,
        parameters=parameters,
        kind=kind,
    )


def report_request_monthly(*, today: datetime.date | None = None) -> list[Report]:
    """The scheduled reports: the previous month, for the public and of everything, in each
    language of REPORT_LANGUAGES."""
    period = previous_month(today or timezone.localdate())
    return [
        report_request(period=period, audience=audience, language=language)[0]
        for language in settings.REPORT_LANGUAGES
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
        brief=report.kind == ReportKind.BRIEF,
    )


def _judged_on(report: Report) -> datetime.date:
    stored = report.parameters.get("judged_on")
    return datetime.date.fromisoformat(stored) if stored else timezone.localdate()


def report_data_current_hash(*, report: Report) -> str:
    """The hash of the data the report would be built from now, judged on the same day."""
    with translation.override(report.language):
        data = report_data_collect(subject=report_subject(report=report), today=_judged_on(report))
    return data_hash(data)


def report_file_name(*, report: Report, content: bytes) -> str:
    parts = [report.kind, report.period_start.isoformat(), report.period_end.isoformat()]
    if report.partner is not None:
        parts.append(report.partner.slug)
    parts += [report.audience, report.language]
    digest = hashlib.sha256(content).hexdigest()[:12]
    return f"reports/{report.period_start:%Y}/{slugify('-'.join(parts))}-{report.pk}-{digest}.pdf"


def _store(name: str, content: bytes) -> str:
    """Write the file whole or not at all: to a partial name first, then renamed into place."""
    name = default_storage.get_available_name(
        name, max_length=Report._meta.get_field("file").max_length
    )
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


def _failure(error: BaseException) -> tuple[str, str]:
    """Why a build failed: a sentence for the people who asked, and the technical error."""
    technical = "".join(traceback.format_exception(error))[-4000:]
    if isinstance(error, SoftTimeLimitExceeded):
        human = _(
            "Building the report took longer than %(seconds)s seconds and was stopped. "
            "A shorter period builds faster."
        ) % {"seconds": settings.CELERY_TASK_SOFT_TIME_LIMIT}
    elif isinstance(error, ValidationError):
        human = " ".join(error.messages)
    else:
        human = _(
            "The report could not be built because of an error in Concord. Administrators can "
            "see the technical error on this page; trying again may not help until it is fixed."
        )
    return human, technical


def _exhausted_failure(now: datetime.datetime) -> dict:
    return {
        "status": ReportStatus.FAILED,
        "finished_at": now,
        "error": _(
            "The build stopped without finishing %(attempts)s times: each time, the worker "
            "building it stopped (it may have run out of memory or been restarted)."
        )
        % {"attempts": MAX_ATTEMPTS},
    }


def report_claim(*, report_id: int, owner: str, now: datetime.datetime) -> bool:
    """Take the build: a queued report, or a running one whose lease has expired."""
    takeable = Q(status=ReportStatus.QUEUED) | leases.lease_expired(now)
    return bool(
        Report.objects.filter(takeable, pk=report_id, attempts__lt=MAX_ATTEMPTS).update(
            status=ReportStatus.RUNNING,
            lease_owner=owner,
            lease_expires_at=leases.lease_until(now),
            heartbeat_at=now,
            started_at=now,
            finished_at=None,
            attempts=F("attempts") + 1,
        )
    )


def report_render(*, report_id: int, worker: str = "") -> Report | Held | None:
    """Build one report's PDF.

    Returns the report once built or failed; `Held` when a live worker is building it (the
    caller looks again when that lease runs out); None when there is nothing to do (ready,
    failed, or gone). The PDF is built in memory and written whole; a failure leaves the report
    failed with its reasons and no new file. A transient database error puts it back in the
    queue and is raised again, so that the task retries it.
    """
    owner = leases.lease_owner_name(worker)
    started = timezone.now()
    if not report_claim(report_id=report_id, owner=owner, now=started):
        return _not_claimed(report_id, started)

    report = Report.objects.select_related("partner").get(pk=report_id)
    previous_file = report.file.name
    new_file = ""
    try:
        with leases.Heartbeat(report, owner):
            judged_on = timezone.localdate()
            with translation.override(report.language):
                data = report_data_collect(subject=report_subject(report=report), today=judged_on)
                digest = data_hash(data)
                rendered = report_pdf_render(
                    kind=report.kind, data=data, digest=digest, report_id=report.pk
                )
            new_file = _store(
                report_file_name(report=report, content=rendered.content), rendered.content
            )
        finished = leases.held(report, owner).update(
            status=ReportStatus.READY,
            file=new_file,
            size=len(rendered.content),
            page_count=rendered.page_count,
            sha256=hashlib.sha256(rendered.content).hexdigest(),
            data_hash=digest,
            parameters=report.parameters | {"judged_on": judged_on.isoformat()},
            finished_at=timezone.now(),
            lease_expires_at=None,
            error="",
            error_detail="",
        )
        if not finished:
            # The lease ran out and another run took over (or the sweep gave up): theirs stands.
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
    except TRANSIENT_ERRORS as error:
        _delete_file(new_file)
        logger.warning("Report %s hit a transient error; back to the queue.", report_id)
        if report.attempts < MAX_ATTEMPTS:
            outcome = {
                "status": ReportStatus.QUEUED,
                "queued_at": timezone.now(),
                "error": _("The database was briefly unavailable; the build is tried again."),
            }
        else:
            outcome = {
                "status": ReportStatus.FAILED,
                "finished_at": timezone.now(),
                "error": _("The database was unavailable on each of %(attempts)s attempts.")
                % {"attempts": MAX_ATTEMPTS},
            }
        try:
            leases.held(report, owner).update(
                **outcome, lease_expires_at=None, error_detail=_failure(error)[1]
            )
        except DatabaseError:
            pass  # still running in the database; the lease runs out and the sweep requeues it
        raise
    except Exception as error:
        _delete_file(new_file)
        logger.exception("Report %s failed.", report_id)
        human, technical = _failure(error)
        leases.held(report, owner).update(
            status=ReportStatus.FAILED,
            error=human,
            error_detail=technical,
            finished_at=timezone.now(),
            lease_expires_at=None,
        )
    return Report.objects.get(pk=report_id)


def _not_claimed(report_id: int, now: datetime.datetime) -> Held | None:
    """Why a build could not be claimed: held by a live worker, out of attempts, or done."""
    report = Report.objects.filter(pk=report_id).first()
    if report is None or report.status != ReportStatus.RUNNING:
        logger.info("Report %s is ready, failed or gone; nothing to do.", report_id)
        return None
    if report.lease_expires_at and report.lease_expires_at >= now:
        logger.info("Report %s is being built by %s.", report_id, report.lease_owner)
        return Held(until=report.lease_expires_at)
    Report.objects.filter(leases.lease_expired(now), pk=report_id).update(**_exhausted_failure(now))
    return None


def reports_recover(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Celery beat's sweep, every few seconds: recover the builds that stopped.

    - A running report whose lease expired lost its worker: it goes back to the queue and is
      sent again while it has attempts left, and fails after that, so a report that kills
      every worker stops being retried.
    - A queued report the broker never took (it was down) is sent again.
    - A queued report sent longer ago than the task time limit lost its message (a broker
      restarted without its data): it is sent again.
    """
    now = now or timezone.now()
    stopped = Report.objects.filter(leases.lease_expired(now))
    resend = []
    for report_id, owner, heartbeat in stopped.filter(attempts__lt=MAX_ATTEMPTS).values_list(
        "pk", "lease_owner", "heartbeat_at"
    ):
        requeued = stopped.filter(pk=report_id, lease_owner=owner).update(
            status=ReportStatus.QUEUED,
            queued_at=now,
            sent_at=None,
            lease_expires_at=None,
            error=_("The worker building it stopped answering."),
            error_detail=f"Lease of {owner or 'no worker'} expired; last heartbeat {heartbeat}.",
        )
        if requeued:
            resend.append(report_id)
    failed = stopped.filter(attempts__gte=MAX_ATTEMPTS).update(**_exhausted_failure(now))
    queued = Report.objects.filter(status=ReportStatus.QUEUED)
    unsent = queued.filter(
        sent_at=None, queued_at__lt=now - datetime.timedelta(seconds=SEND_GRACE_SECONDS)
    )
    resend += unsent.values_list("pk", flat=True)
    lost_cutoff = now - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    for report_id in queued.filter(sent_at__lt=lost_cutoff).values_list("pk", flat=True):
        if queued.filter(pk=report_id, sent_at__lt=lost_cutoff).update(sent_at=None):
            resend.append(report_id)
    for report_id in resend:
        report_enqueue(report_id)
    if failed or resend:
        logger.warning("Report sweep: %s failed, %s sent again.", failed, len(resend))
    return {"failed": failed, "resent": len(resend)}


def report_retry(*, report: Report) -> bool:
    """Queue a failed or ready report again; False when it is already queued or running."""
    claimed = Report.objects.filter(
        pk=report.pk, status__in=[ReportStatus.FAILED, ReportStatus.READY]
    ).update(**_fresh_queue(timezone.now()))
    if claimed:
        report_enqueue(report.pk)
    return bool(claimed)
