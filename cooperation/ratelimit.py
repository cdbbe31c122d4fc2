"""How often one user may ask for reports: REPORT_REQUESTS_PER_HOUR, counted from the reports
they asked for in the last hour (the database is shared by every web process, so the limit
holds however many there are)."""

import datetime
import functools

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext

from cooperation.access_log import log_event

WINDOW = datetime.timedelta(hours=1)


def report_requests_in_window(user) -> int:
    """Reports this user asked for in the last hour."""
    from cooperation.models import Report

    return Report.objects.filter(requested_by=user, created_at__gte=timezone.now() - WINDOW).count()


def report_request_allowed(user) -> bool:
    """Whether this user may ask for one more report now."""
    if user is None or not user.is_authenticated:
        return False
    return report_requests_in_window(user) < settings.REPORT_REQUESTS_PER_HOUR


def report_limit_message() -> str:
    limit = settings.REPORT_REQUESTS_PER_HOUR
    return ngettext(
        "You have asked for %(limit)d report in the last hour, the most allowed. "
        "Please try again later.",
        "You have asked for %(limit)d reports in the last hour, the most allowed. "
        "Please try again later.",
        limit,
    ) % {"limit": limit}


def report_request_limited(view):
    """Decorator for the view that asks for a report: on POST over the limit, log the refusal,
    show the limit's message and send the user back, with nothing queued.
    Each POST that goes through is logged as a report request."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "POST":
            if not report_request_allowed(request.user):
                log_event("report-request-refused", request=request, reason="hourly-limit")
                messages.error(request, report_limit_message())
                back = request.META.get("HTTP_REFERER", "")
                if not url_has_allowed_host_and_scheme(
                    back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
                ):
                    back = "cooperation:dashboard"
                return redirect(back)
            log_event("report-request", request=request, path=request.path)
        return view(request, *args, **kwargs)

    return wrapper
