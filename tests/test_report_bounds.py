"""Periods a report may cover: from the decade of the first record to the end of next year,
and no longer than REPORT_MAX_YEARS. The form and the command refuse the rest, saying why."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from cooperation.models import Report
from cooperation.reports.collect import first_record_date
from cooperation.reports.forms import ReportRequestForm
from cooperation.reports.periods import Period, period_bounds_check

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 1)
FIRST = datetime.date(2022, 11, 1)


def check(start, end, *, max_years=20):
    period_bounds_check(Period(start, end), first_record=FIRST, today=TODAY, max_years=max_years)


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        (datetime.date(1, 1, 1), datetime.date(9999, 12, 31), "too_early"),
        (datetime.date(2019, 12, 31), datetime.date(2022, 1, 1), "too_early"),
        (datetime.date(2022, 1, 1), datetime.date(2028, 1, 1), "too_late"),
        (datetime.date(2020, 1, 1), datetime.date(2027, 12, 31), "too_long"),
    ],
)
def test_periods_outside_the_bounds_are_refused(start, end, code):
    with pytest.raises(ValidationError) as refused:
        check(start, end, max_years=5 if code == "too_long" else 20)
    assert refused.value.code == code


def test_periods_inside_the_bounds_pass():
    check(datetime.date(2020, 1, 1), datetime.date(2027, 12, 31))  # the decade, to next year
    check(datetime.date(2022, 11, 1), datetime.date(2022, 11, 30))
    # With no records yet, today's decade is the start.
    period_bounds_check(
        Period(datetime.date(2020, 1, 1), datetime.date(2020, 1, 31)),
        first_record=None,
        today=TODAY,
        max_years=20,
    )


def form_errors(seed_data: dict) -> dict:
    form = ReportRequestForm(data={"audience": "public", **seed_data})
    assert not form.is_valid()
    return form.errors


def seed_decade() -> str:
    first = first_record_date()
    return f"the records begin in {first.year - first.year % 10}s"


def test_the_form_names_the_field_and_says_why(seed):
    next_year = timezone.localdate().year + 1
    everything = form_errors({"period_start": "0001-01-01", "period_end": "9999-12-31"})
    assert seed_decade() in everything["period_start"][0]
    late = form_errors({"month": f"{next_year + 1}-01"})["month"][0]
    assert f"end of next year, 31 December {next_year}" in late


def test_the_command_refuses_with_the_same_message_and_builds_nothing(seed):
    with pytest.raises(CommandError, match=seed_decade()):
        call_command("generate_report", "--from", "0001-01-01", "--to", "9999-12-31")
    assert not Report.objects.exists()
