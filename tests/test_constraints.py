"""Check constraints validated in one query (`cooperation.constraints`): the same errors as
Django's one query per rule, for fewer round trips, each on the field it is about."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from cooperation.constraints import OneQueryChecks, violation_field
from cooperation.models import (
    ComplaintCount,
    DatePrecision,
    Meeting,
    Milestone,
    Partner,
    Visibility,
)
from tests import factories

pytestmark = pytest.mark.django_db


def errors(validate, instance, exclude=None) -> dict[str, list[str]]:
    try:
        validate(instance, exclude)
    except ValidationError as error:
        return error.message_dict
    return {}


def messages(found: dict[str, list[str]]) -> list[str]:
    return sorted(message for listed in found.values() for message in listed)


def djangos_way(instance, exclude=None):
    models.Model.validate_constraints(instance, exclude)


def ours(instance, exclude=None):
    instance.validate_constraints(exclude)


def broken_records():
    partner = factories.PartnerFactory()
    day = datetime.date(2022, 11, 1)
    yield ComplaintCount(
        received_by=partner,
        period_start=day,
        period_end=day - datetime.timedelta(days=1),
        count=-3,
        verified_share=Decimal("1.5"),
        visibility=Visibility.INTERNAL,
    )
    yield ComplaintCount(received_by=partner, period_start=day, period_end=day, count=4)
    yield Meeting(slug="m", title="t", summary="s", date=None, date_precision=DatePrecision.DAY)
    yield Meeting(slug="n", title="t", summary="s", date=day, visibility=Visibility.SHARED)
    yield Milestone(title="t", date=day, date_precision=DatePrecision.UNKNOWN)
    yield Partner(name=partner.name, slug="other", kind=partner.kind)


@pytest.mark.parametrize("exclude", [None, {"count"}, {"period_end", "visibility"}, {"date"}])
def test_the_errors_are_djangos_for_every_broken_record(exclude):
    for record in broken_records():
        assert isinstance(record, OneQueryChecks)
        found = errors(ours, record, exclude)
        assert messages(found) == messages(errors(djangos_way, record, exclude)), record
        assert NON_FIELD_ERRORS not in found, record  # each broken rule is on its field


def test_every_broken_rule_is_named_at_once_on_its_field():
    record = next(broken_records())
    assert errors(ours, record) == {
        "count": ["Complaints: a count cannot be negative."],
        "period_end": ["Period end: a period cannot end before it starts."],
        "verified_share": ["Share found true: give a fraction between 0 and 1."],
        "owner": ["Owner: a shared or internal record needs an owner organisation."],
    }


def test_a_date_without_its_precision_is_an_error_of_the_date():
    meeting = Meeting(slug="m", title="t", summary="s", date=None, date_precision=DatePrecision.DAY)
    assert list(errors(ours, meeting)) == ["date"]
    milestone = Milestone(title="t", date=datetime.date(2022, 1, 1), date_precision="unknown")
    assert list(errors(ours, milestone)) == ["date"]


def test_a_rule_without_a_field_of_its_own_stays_on_the_whole_record():
    unmapped = models.CheckConstraint(condition=models.Q(count__gte=1), name="x_count_small")
    assert violation_field(unmapped) == NON_FIELD_ERRORS
    # A rule named after one in the mapping but not reading its field: nothing to attach to.
    elsewhere = models.CheckConstraint(condition=models.Q(count__gte=1), name="x_period_ordered")
    assert violation_field(elsewhere) == NON_FIELD_ERRORS
    ordered = models.CheckConstraint(
        condition=models.Q(period_end__gte=models.F("period_start")), name="x_period_ordered"
    )
    assert violation_field(ordered) == "period_end"


def test_all_checks_cost_one_query_in_one_savepoint():
    record = next(broken_records())
    assert len(record._meta.constraints) == 4
    with CaptureQueriesContext(connection) as queries:
        errors(ours, record)
    statements = [query["sql"].split()[0] for query in queries.captured_queries]
    assert statements == ["SAVEPOINT", "SELECT", "RELEASE"]


def test_a_check_the_database_cannot_evaluate_goes_djangos_way(caplog):
    record = next(broken_records())
    record.visibility = "internal\x00"  # PostgreSQL refuses a NUL in text: the one query fails
    ours_errors = errors(ours, record)
    warned = [r for r in caplog.records if "database error calling check()" in r.getMessage()]
    assert warned, "the fallback is Django's per-rule check, which logs the database's refusal"
    assert messages(ours_errors) == messages(errors(djangos_way, record))
    assert "period_end" in ours_errors
