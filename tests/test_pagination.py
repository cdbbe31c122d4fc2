"""One rule for the page a visitor asks for, on every paged list: anything that is not a whole
number, or is below 1, gives the first page; beyond the last page gives the last."""

import datetime
import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cooperation.models import Partner, Report, ReportKind
from cooperation.pagination import page_clamp, page_number
from tests import factories


@pytest.mark.parametrize(
    ("requested", "count", "per_page", "expected"),
    [
        (1, 0, 25, (1, 1)),  # no rows still make one page
        (3, 0, 25, (1, 1)),
        (1, 25, 25, (1, 1)),
        (2, 26, 25, (2, 2)),
        (0, 26, 25, (1, 2)),
        (-5, 26, 25, (1, 2)),
        (999_999, 26, 25, (2, 2)),
        (4, 100, 25, (4, 4)),
        (5, 101, 25, (5, 5)),
    ],
)
def test_page_clamp_keeps_the_page_within_the_real_pages(requested, count, per_page, expected):
    assert page_clamp(requested=requested, count=count, per_page=per_page) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, 1),
        ("", 1),
        ("abc", 1),
        ("2.5", 1),
        ("0", 1),
        ("-3", 1),
        (" 7 ", 7),
        ("9" * 400, 1_000_000),
        ("9" * 5000, 1),  # too many digits for int(): unusable, not an error
    ],
)
def test_page_number_reads_a_query_parameter_or_gives_the_default(value, expected):
    assert page_number(value) == expected


def test_page_number_default_is_for_unusable_values_only():
    assert page_number("x", default=25) == 25
    assert page_number("10", default=25) == 10


@pytest.fixture
def many_rows(db):
    """More rows than one page holds on each table page: partners (and their history) and
    reports."""
    factories.PartnerFactory.create_batch(60)
    Report.objects.bulk_create(
        Report(
            kind=ReportKind.MONTHLY,
            period_start=datetime.date(1990 + n, 1, 1),
            period_end=datetime.date(1990 + n, 1, 31),
        )
        for n in range(30)
    )


TABLE_PAGES = ["cooperation:partner-list", "changes", "cooperation:report-list"]


@pytest.mark.parametrize("url_name", TABLE_PAGES)
@pytest.mark.parametrize(
    ("page", "expected"),
    [("abc", "first"), ("0", "first"), ("-1", "first"), ("2", 2), ("999999", "last")],
)
def test_table_pages_answer_any_page_number_with_a_real_page(
    viewer_client, many_rows, url_name, page, expected
):
    response = viewer_client.get(reverse(url_name), {"page": page})
    assert response.status_code == 200
    table = response.context["table"]
    num_pages = table.paginator.num_pages
    assert num_pages >= 2
    number = {"first": 1, "last": num_pages}.get(expected, expected)
    assert table.page.number == number
    body = response.content.decode()
    assert f"Page {number} of {num_pages}" in body


def test_a_list_page_size_is_the_visitors_up_to_the_limit(viewer_client, many_rows):
    url = reverse("cooperation:partner-list")
    pages = math.ceil(Partner.objects.count() / 10)
    assert pages > 2
    assert viewer_client.get(url, {"per_page": "10"}).context["table"].paginator.num_pages == pages
    capped = viewer_client.get(url, {"per_page": "100000", "page": "2"}).context["table"]
    assert (capped.paginator.per_page, capped.page.number) == (100, 1)


def test_a_fixed_page_size_ignores_the_visitors(viewer_client, many_rows):
    table = viewer_client.get(reverse("changes"), {"per_page": "5"}).context["table"]
    assert table.paginator.per_page == 50


@pytest.mark.parametrize("url_name", TABLE_PAGES)
def test_a_later_page_costs_no_more_queries_than_the_first(viewer_client, many_rows, url_name):
    def queries(page):
        with CaptureQueriesContext(connection) as context:
            assert viewer_client.get(reverse(url_name), {"page": page}).status_code == 200
        return len(context)

    queries("1")  # the first visit after signing in also records the session's use
    assert queries("999999") == queries("2") == queries("1")
