"""Property: whatever the query string, list pages, search and feeds answer without a 500.

Malformed filters (bad dates, unknown choices, huge numbers, odd Unicode, NUL bytes)
give the page with a message; they never reach the database as an error.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

COMMON = ["sort", "page", "per_page", "_export"]
PARAMS = {
    "/timeline/": ["partner", "topic", "kind", "date_from", "date_to", "order", "page"],
    "/timeline/feed/": ["partner", "topic", "kind", "date_from", "date_to"],
    "/partners/": ["q", "kind", "country", "topic", *COMMON],
    "/meetings/": ["q", "partner", "topic", "date_from", "date_to", *COMMON],
    "/meetings.ics": ["q", "partner", "topic", "date_from", "date_to"],
    "/commitments/": [
        "q",
        "status",
        "state",
        "kind",
        "partner",
        "topic",
        "date_from",
        "date_to",
        *COMMON,
    ],  # fmt: skip
    "/complaints/": ["received_by", "date_from", "date_to", "verified", *COMMON],
    "/milestones/": ["q", "kind", "partner", "topic", "date_from", "date_to", *COMMON],
    "/search/": ["q"],
}

odd_text = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"]),  # lone surrogates cannot be sent
    max_size=40,
)
values = st.one_of(
    odd_text,
    st.sampled_from(
        [
            "",
            "\x00",
            "%00",
            "0",
            "-1",
            "99999999999999999999999999",
            "1e309",
            "2022-02-30",
            "2022-13-01",
            "0000-01-01",
            "9999-12-31",
            "10000-01-01",
            "2022-11-01",
            "france",
            "ministry-of-interior",
            "human-trafficking",
            "meeting",
            "update",
            "open",
            "overdue",
            "fulfilled",
            "true",
            "false",
            "csv",
            "xlsx",
            "json",
            "-name",
            "date",
            "-date",
            "last_contact",
            "count",
            "ⅫⅫ",
            "١٢٣",
            "‮evil",
            "a" * 300,
        ]
    ),  # fmt: skip
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.dates().map(str),
)


def query(url):
    return st.dictionaries(st.sampled_from(PARAMS[url]), st.lists(values, min_size=1, max_size=2))


@pytest.mark.parametrize("url", list(PARAMS))
def test_list_params_never_give_a_server_error(client, seed, url):
    @settings(
        max_examples=35,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(params=query(url))
    def check(params):
        response = client.get(url, params)
        assert response.status_code == 200, (url, params)

    check()


def test_bad_filters_say_so(client, seed):
    body = client.get("/commitments/", {"status": "nonsense", "date_from": "2022-02-30"})
    assert "Some filters could not be used" in body.content.decode()
