"""Reads for reports."""

from django.db.models import QuerySet

from cooperation.models import Report, Visibility


def reports_visible_to(user) -> QuerySet[Report]:
    """Reports this user may see: every report when signed in, public ones otherwise."""
    reports = Report.objects.select_related("partner", "requested_by")
    if user is not None and user.is_authenticated:
        return reports
    return reports.filter(audience=Visibility.PUBLIC)


def report_can_request(user) -> bool:
    """Whether this user may ask for reports of any period, partner and audience."""
    return user is not None and user.has_perm("cooperation.add_report")
