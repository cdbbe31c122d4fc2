"""Reports at scale: the database counts, the report lists its first rows and says how many
more there are, and neither the queries nor the figures depend on what is listed.

The rows come from `bench.data` through `bench.reports.seed_like_add`: copies of the seed's
records, dated and linked like them, so that November 2022 holds ten times its records.
"""

import datetime
import itertools
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.reports import seed_like_add
from cooperation.models import (
    Commitment,
    ComplaintCount,
    DatePrecision,
    Meeting,
    Partner,
    ReportAudience,
    Visibility,
)
from cooperation.reports import services
from cooperation.reports.collect import Collector, Subject, report_data_collect
from cooperation.reports.periods import Period, month_parse
from cooperation.reports.summary import IN, LISTED_ROWS, placement_find
from tests import factories
from tests.helpers import pdf_text

pytestmark = pytest.mark.django_db

NOVEMBER_2022 = month_parse("2022-11")
# Queries one report's collection may run, whatever the number of records.
COLLECT_QUERIES = 28  # the action-plan coverage section added one


def subjects() -> dict[str, Subject]:
    ministry = Partner.objects.get(slug="ministry-of-interior")
    today = datetime.date(2023, 1, 1)
    return {
        "monthly, public": Subject(period=NOVEMBER_2022, audience=ReportAudience.PUBLIC),
        "monthly, internal": Subject(period=NOVEMBER_2022, audience=ReportAudience.EVERYTHING),
        "dossier": Subject(
            period=Period(datetime.date(2022, 1, 1), today),
            audience=ReportAudience.EVERYTHING,
            partner=ministry,
            whole_record=True,
        ),
    }


def collection_queries() -> dict[str, int]:
    counts = {}
    for label, subject in subjects().items():
        with CaptureQueriesContext(connection) as queries:
            report_data_collect(subject=subject, today=datetime.date(2023, 1, 1))
        counts[label] = len(queries)
    return counts


def test_a_report_costs_the_same_queries_with_ten_times_the_records(seed):
    report_data_collect(subject=subjects()["monthly, public"])  # content types, cached
    one = collection_queries()
    seed_like_add(copies=9)
    assert Meeting.objects.count() >= 20
    ten = collection_queries()

    assert ten == one
    assert max(one.values()) <= COLLECT_QUERIES


def commitments_made_in(period: Period, audience: str) -> int:
    """Commitments surely made in the period that the audience sees, counted one by one."""
    commitments = Commitment.objects.select_related("made_by")
    if audience == ReportAudience.PUBLIC:
        commitments = commitments.filter(visibility=Visibility.PUBLIC)
    return sum(
        1
        for c in commitments
        if (audience != ReportAudience.PUBLIC or c.made_by.visibility == Visibility.PUBLIC)
        and placement_find(
            date=c.date, precision=c.date_precision, period=period, whole_record=False
        )
        == IN
    )


def test_headline_figures_count_every_record_when_the_lists_are_capped(seed):
    seed_like_add(copies=9)
    period = NOVEMBER_2022

    data = report_data_collect(subject=Subject(period=period, audience=ReportAudience.PUBLIC))

    public_meetings = [
        m
        for m in Meeting.objects.filter(visibility=Visibility.PUBLIC)
        if placement_find(
            date=m.date, precision=m.date_precision, period=period, whole_record=False
        )
        is not None
    ]
    meeting_ids = {m.pk for m in public_meetings}
    complaints = [
        c
        for c in ComplaintCount.objects.filter(visibility=Visibility.PUBLIC)
        .select_related("received_by")
        .order_by("pk")
        if c.received_by.visibility == Visibility.PUBLIC
        and (
            (c.period_start <= period.end and c.period_end >= period.start)
            or c.meeting_id in meeting_ids
        )
    ]
    made = commitments_made_in(period, ReportAudience.PUBLIC)
    assert made > LISTED_ROWS and len(public_meetings) > 1

    headline = data["headline"]
    surely_in = [
        m
        for m in public_meetings
        if placement_find(
            date=m.date, precision=m.date_precision, period=period, whole_record=False
        )
        == IN
    ]
    assert headline["meetings"] == len(surely_in)
    assert headline["commitments_made"] == made
    assert headline["complaints_total"] == sum(c.count for c in complaints)
    assert headline["complaint_periods"] == len(complaints)
    assert data["counted"]["commitments_new"] == made
    assert len(data["commitments_new"]) == LISTED_ROWS
    assert data["counted"]["meetings"] == len(public_meetings) >= len(data["meetings"])
    # The listed rows are the first ones, in the report's order.
    first = sorted(
        (c for c in Commitment.objects.filter(pk__in=[r["id"] for r in data["commitments"]])),
        key=lambda c: (c.date, c.title, c.pk),
    )
    assert [r["id"] for r in data["commitments_new"]][:3] == [c.pk for c in first][:3]


def test_the_pdf_lists_the_first_rows_and_says_how_many_more_there_are(
    seed, media, django_capture_on_commit_callbacks
):
    from config.celery import app

    seed_like_add(copies=9)
    made = commitments_made_in(NOVEMBER_2022, ReportAudience.PUBLIC)
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            report, _queued = services.report_request(period=NOVEMBER_2022)
    finally:
        app.conf.task_always_eager = previous
    report.refresh_from_db()

    text = pdf_text(report)
    assert f"And {made - LISTED_ROWS} more not listed here" in text
    assert re.search(rf"\b{made}\s*commitments made", text, re.IGNORECASE)
    assert report.data_hash == services.report_data_current_hash(report=report)


def test_a_change_to_a_record_the_report_does_not_list_makes_it_stale(seed):
    seed_like_add(copies=9)
    subject = Subject(period=NOVEMBER_2022, audience=ReportAudience.PUBLIC)
    first = report_data_collect(subject=subject)
    listed = {row["id"] for row in first["commitments"]}
    unlisted = (
        Commitment.objects.filter(date__range=(NOVEMBER_2022.start, NOVEMBER_2022.end))
        .exclude(pk__in=listed)
        .first()
    )
    assert unlisted is not None
    unlisted.description = "Changed after the report was built."
    unlisted.save()

    from cooperation.reports.summary import data_hash

    assert data_hash(report_data_collect(subject=subject)) != data_hash(first)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime.date(2022, 11, 1), datetime.date(2022, 11, 30)),
        (datetime.date(2022, 11, 10), datetime.date(2022, 12, 20)),
        (datetime.date(2021, 12, 31), datetime.date(2022, 1, 31)),
        (datetime.date(2022, 1, 1), datetime.date(2022, 12, 31)),
    ],
)
def test_the_database_places_uncertain_dates_as_placement_find_does(start, end):
    """Every precision on days around the period's edges, placed by the database (`_in_q`,
    `_placed_q`) and by the pure function."""
    period = Period(start, end)
    edges = {start, end, start.replace(day=1), end.replace(day=1), datetime.date(end.year, 1, 1)}
    days = {edge + datetime.timedelta(days=delta) for edge in edges for delta in (-1, 0, 1)}
    precisions = [DatePrecision.DAY, DatePrecision.MONTH, DatePrecision.YEAR]
    for n, (day, precision) in enumerate(itertools.product(sorted(days), precisions)):
        factories.MeetingFactory(title=f"m{n}", date=day, date_precision=precision)
    collector = Collector(Subject(period=period, audience=ReportAudience.EVERYTHING))

    def expected(*placements):
        return {
            m.pk
            for m in Meeting.objects.all()
            if placement_find(
                date=m.date, precision=m.date_precision, period=period, whole_record=False
            )
            in placements
        }

    placed = set(Meeting.objects.filter(collector._placed_q()).values_list("pk", flat=True))
    surely_in = set(Meeting.objects.filter(collector._in_q()).values_list("pk", flat=True))
    assert placed == expected("in", "maybe")
    assert surely_in == expected("in")


def test_timestamps_of_changes_are_part_of_the_data(seed):
    data = report_data_collect(subject=Subject(period=NOVEMBER_2022, audience="public"))
    assert set(data["changed"]) == {
        "meetings",
        "milestones",
        "commitments",
        "updates",
        "complaints",
    }
    assert data["changed"]["meetings"] <= timezone.now().isoformat()
