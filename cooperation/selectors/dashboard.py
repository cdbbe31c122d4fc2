"""The dashboard's headline figures and the data of its charts, aggregated in the database.

The chart helpers return plain Python data so the PDF reports can draw them with
`cooperation.charts` too.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import timezone

from cooperation import small_counts, visibility
from cooperation.dates import format_period
from cooperation.models import (
    Commitment,
    CommitmentStatus,
    ComplaintCount,
    Meeting,
    Partner,
)
from cooperation.selectors.records import (
    complaintcount_list,
    follow_up_counts,
)
from cooperation.visibility import Viewer


@dataclass
class DashboardFigures:
    """The headline numbers on the dashboard."""

    partners: int
    meetings: int
    open_commitments: int
    overdue_commitments: int
    due_soon_commitments: int
    stale_commitments: int
    latest_complaints: ComplaintCount | None


def dashboard_figures(
    *, user: Viewer | None, today: datetime.date | None = None
) -> DashboardFigures:
    """Headline figures the user may see, in four aggregate queries."""
    today = today or timezone.localdate()
    commitments = follow_up_counts(Commitment.objects.visible_to(user), today)
    latest = complaintcount_list(user=user).order_by("-period_end", "-period_start", "-pk").first()
    return DashboardFigures(
        partners=Partner.objects.visible_to(user).count(),
        meetings=Meeting.objects.visible_to(user).count(),
        open_commitments=commitments["open"],
        overdue_commitments=commitments["overdue"],
        due_soon_commitments=commitments["due_soon"],
        stale_commitments=commitments["stale"],
        latest_complaints=latest,
    )


class ComplaintsPerPeriod(NamedTuple):
    """The complaints chart's rows, (period label, complaints, found true or None), and how
    many figures below PUBLIC_MIN_COUNT their sums leave out (for readers not signed in)."""

    rows: list[tuple[str, int, int | None]]
    excluded: int = 0


def complaints_per_period(*, user: Viewer | None, limit: int = 12) -> ComplaintsPerPeriod:
    """(period label, complaints, complaints found true or None) for the latest periods,
    oldest first, summed over receiving partners in the database; a reader not signed in
    gets sums without the small counts (`small_counts.sum_shown`)."""
    shown = small_counts.shown_q(user)
    rows = (
        ComplaintCount.objects.visible_to(user)
        .order_by()
        .values("period_start", "period_end")
        .annotate(
            total=Coalesce(small_counts.sum_shown("count", user), 0),
            verified=small_counts.sum_shown(
                ExpressionWrapper(
                    F("count") * F("verified_share"),
                    output_field=DecimalField(max_digits=20, decimal_places=3),
                ),
                user,
            ),
            unknown=Count("pk", filter=Q(verified_share__isnull=True) & shown),
            excluded=small_counts.hidden_rows(user),
        )
        .order_by("-period_end", "-period_start")[:limit]
    )
    result = []
    excluded = 0
    for row in reversed(list(rows)):
        verified = None
        if row["unknown"] == 0 and row["verified"] is not None:
            verified = int(Decimal(row["verified"]).quantize(Decimal(1)))
        result.append(
            (format_period(row["period_start"], row["period_end"]), row["total"], verified)
        )
        excluded += row["excluded"]
    return ComplaintsPerPeriod(result, excluded)


def commitments_by_status(*, user: Viewer | None) -> list[tuple[str, int]]:
    """(status label, number of commitments) for every status, in the order of the choices."""
    counts = dict(
        Commitment.objects.visible_to(user)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return [(str(label), counts.get(value, 0)) for value, label in CommitmentStatus.choices]


def meetings_per_partner_year(
    *, user: Viewer | None, partners: int = 8, years: int = 6
) -> list[tuple[str, int, int]]:
    """(partner name, year, meetings) for the partners with most visible meetings over the
    latest years that have any; counted in the database, two queries."""
    through = Meeting.partners.through
    links = through.objects.filter(
        visibility.visible_q(user, Meeting, "meeting__"),
        visibility.visible_q(user, Partner, "partner__"),
        meeting__date__isnull=False,
    )
    top = list(
        links.order_by()
        .values("partner_id", "partner__name", "partner__short_name")
        .annotate(n=Count("pk"))
        .order_by("-n", "partner__name")[:partners]
    )
    if not top:
        return []
    names = {row["partner_id"]: row["partner__short_name"] or row["partner__name"] for row in top}
    grid = list(
        links.filter(partner_id__in=names)
        .annotate(year=ExtractYear("meeting__date"))
        .order_by()
        .values("partner_id", "year")  # type: ignore[misc]
        .annotate(n=Count("pk"))
    )
    latest_years = sorted({row["year"] for row in grid})[-years:]
    return [
        (names[row["partner_id"]], row["year"], row["n"])
        for row in sorted(grid, key=lambda r: (list(names).index(r["partner_id"]), r["year"]))
        if row["year"] in latest_years
    ]
