"""Reads for reports."""

from django.db.models import QuerySet

from cooperation import visibility
from cooperation.models import Report
from cooperation.visibility import Viewer


def reports_visible_to(user: Viewer | None) -> QuerySet[Report]:
    """Reports built for an audience this user reads as (`visibility`): public reports for
    everyone, one organisation's view for its staff, reports of everything for administrators."""
    return visibility.restrict(
        Report.objects.select_related("partner", "audience_organisation", "requested_by"), user
    )


def report_can_request(user) -> bool:
    """Whether this user may ask for reports of any period, partner and audience."""
    return user is not None and user.has_perm("cooperation.add_report")
