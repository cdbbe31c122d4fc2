"""Report pages: the list with its request form, one report's status, and its download."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cooperation import visibility
from cooperation.access_log import log_event
from cooperation.models import Partner, ReportStatus
from cooperation.pagination import table_paginate
from cooperation.ratelimit import (
    report_limit_message,
    report_request_allowed,
    report_request_limited,
)
from cooperation.reports import selectors, services
from cooperation.reports.filtersets import ReportFilterSet
from cooperation.reports.forms import ReportRequestForm
from cooperation.reports.progress import report_progress
from cooperation.reports.tables import ReportTable

# While a report is queued or running, its page reloads itself this often (seconds).
REFRESH_SECONDS = 3
PER_PAGE = 25


def report_list(request, form=None, status=200):
    """The reports this user may see, filterable, with the request form for those who may ask."""
    reports = selectors.reports_visible_to(request.user)
    filterset = ReportFilterSet(request.GET or None, queryset=reports, request=request)
    table = ReportTable(filterset.qs)
    table_paginate(table, request=request, per_page=PER_PAGE)
    can_request = selectors.report_can_request(request.user)
    if can_request and form is None:
        form = ReportRequestForm(user=request.user)
    context = {
        "filterset": filterset,
        "table": table,
        "form": form if can_request else None,
    }
    return render(request, "reports/report_list.html", context, status=status)


@require_POST
@permission_required("cooperation.add_report", raise_exception=True)
@report_request_limited
def report_request(request):
    """The request form posted: a new report (or the same one, already asked for)."""
    form = ReportRequestForm(request.POST, user=request.user)
    if not form.is_valid():
        return report_list(request, form=form, status=400)
    report, queued = form.save(requested_by=request.user)
    _announce(request, report, queued)
    return redirect(report)


@require_POST
def report_dossier(request, slug):
    """The partner profile's "Download dossier (PDF)" button: its whole record to today.

    It is built for the widest audience the user reads as (`visibility.widest_audience`):
    everything for administrators, their organisation's view for its staff, the public
    dossier for visitors. Asking again the
    same day returns the same report, which bounds what visitors can make the server build.
    """
    return _partner_report(request, slug, services.report_request_dossier)


@require_POST
def report_brief(request, slug):
    """The partner profile's "Download the brief (PDF)" button: since the last meeting with the
    partner to today, for the same audience and under the same rules as its dossier."""
    return _partner_report(request, slug, services.report_request_brief)


def _partner_report(request, slug, ask):
    """Ask for a report about one partner for the widest audience the user reads as; a ready
    one downloads at once, one being built shows its page."""
    partners = Partner.objects.visible_to(request.user)
    partner = get_object_or_404(partners, slug=slug)
    signed_in = request.user.is_authenticated
    if signed_in and not report_request_allowed(request.user):
        log_event("report-request-refused", request=request, reason="hourly-limit")
        messages.error(request, report_limit_message())
        return redirect(partner)
    log_event("report-request", request=request, path=request.path)
    audience, organisation_id = visibility.widest_audience(request.user, about=partner)
    report, queued = ask(
        partner=partner,
        audience=audience,
        organisation=Partner.objects.get(pk=organisation_id) if organisation_id else None,
        requested_by=request.user,
    )
    report.refresh_from_db()  # without a broker, the build ran as the request committed
    if report.status == ReportStatus.READY:
        return redirect("cooperation:report-download", pk=report.pk)
    _announce(request, report, queued)
    return redirect(report)


def _announce(request, report, queued):
    if report.status == ReportStatus.READY:
        messages.success(request, _("This report is ready."))
    elif queued:
        messages.success(
            request, _("The report is being built; this page updates until it is ready.")
        )
    elif report.status in (ReportStatus.QUEUED, ReportStatus.RUNNING):
        messages.info(request, _("This report is already being built."))


def report_detail(request, pk):
    """One report's status; it reloads itself while the report is being built."""
    report = get_object_or_404(selectors.reports_visible_to(request.user), pk=pk)
    in_progress = report.status in (ReportStatus.QUEUED, ReportStatus.RUNNING)
    matches = None
    if report.status == ReportStatus.READY and report.data_hash:
        matches = services.report_data_current_hash(report=report) == report.data_hash
    context = {
        "report": report,
        "progress": report_progress(report, for_staff=request.user.is_staff),
        "in_progress": in_progress,
        "refresh_seconds": REFRESH_SECONDS,
        "data_matches": matches,
        "can_request": selectors.report_can_request(request.user),
        "can_ask_for_dossier": _can_ask_for_dossier(request.user, report),
        "show_technical_error": request.user.is_staff,
    }
    return render(request, "reports/report_detail.html", context)


def _can_ask_for_dossier(user, report) -> bool:
    """Whether the partner profile's dossier button would ask for this very report's audience,
    so that anyone who may press it (a visitor, for the public dossier) may try it again."""
    if not report.is_whole_record or report.partner_id is None:
        return False
    audience = visibility.widest_audience(user, about=report.partner)
    return audience == (report.audience, report.audience_organisation_id)


def report_download(request, pk):
    """A ready report's PDF, as an attachment."""
    report = get_object_or_404(selectors.reports_visible_to(request.user), pk=pk)
    if report.status != ReportStatus.READY or not report.file:
        raise Http404(_("This report has no file to download yet."))
    try:
        handle = report.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("This report's file is missing.")) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=download_name(report),
        content_type="application/pdf",
    )
    response["ETag"] = f'"{report.sha256}"'
    response["Cache-Control"] = "private, no-cache"
    return response


def download_name(report) -> str:
    """The PDF's file name: kind, partner, period and audience."""
    parts = ["concord", report.kind]
    if report.partner_id:
        parts.append(report.partner.slug)
    if report.is_whole_record:
        parts.append(f"{report.period_end:%Y-%m-%d}")
    elif report.kind == "monthly":
        parts.append(f"{report.period_start:%Y-%m}")
    else:
        parts.append(f"{report.period_start:%Y-%m-%d}-{report.period_end:%Y-%m-%d}")
    parts.append(report.audience)
    return slugify("-".join(parts)) + ".pdf"


@require_POST
@permission_required("cooperation.add_report", raise_exception=True)
def report_retry(request, pk):
    """Build a failed or ready report again, unless it is already being built."""
    report = get_object_or_404(selectors.reports_visible_to(request.user), pk=pk)
    if services.report_retry(report=report):
        messages.success(request, _("The report is being built again."))
    else:
        messages.info(request, _("This report is already being built."))
    return redirect(report)
