"""Every list and detail page runs a fixed number of queries, whatever the data size.

Each page is measured with the seed and again with ten times its rows from `bench.data`,
against the same bound, both anonymous and signed in.
"""

import pytest

from bench.data import SEED, bulk_create_records
from cooperation import models

pytestmark = pytest.mark.django_db

# Upper bounds, anonymous. Signed in adds the session and user reads and the session save.
BOUNDS = {
    "/": 17,
    "/timeline/": 13,
    "/timeline/feed/": 10,
    "/partners/": 4,
    "/partners/?_export=csv": 2,
    "/meetings/": 7,
    "/meetings/?_export=xlsx": 4,
    "/meetings.ics": 4,
    "/commitments/": 7,
    "/commitments/?_export=csv": 4,
    "/complaints/": 4,
    "/milestones/": 7,
    "/coverage/": 4,
    "/coverage/?kind=meeting": 3,
    "/search/?q=trafficking+cooperation": 7,
    # its head, then its body; its timeline loads each kind of entry it shows once, five at
    # most; its brief since the last meeting, one query a section (cooperation.selectors.brief)
    "partner": 30,
    "meeting": 10,
    "commitment": 7,
    "count": 3,
    "milestone": 5,
    "source": 10,
}
SIGNED_IN_EXTRA = 6  # session, user, their organisations and role, the minutely session save (3)


def detail_urls():
    partner = models.Partner.objects.order_by("pk").first()
    busiest = (
        models.Partner.objects.order_by("-meetings__id", "pk").exclude(meetings=None).first()
        or partner
    )
    return {
        "partner": busiest.get_absolute_url(),
        "meeting": models.Meeting.objects.order_by("pk").first().get_absolute_url(),
        "commitment": models.Commitment.objects.order_by("pk").first().get_absolute_url(),
        "count": models.ComplaintCount.objects.order_by("pk").first().get_absolute_url(),
        "milestone": models.Milestone.objects.order_by("pk").first().get_absolute_url(),
        "source": models.Source.objects.order_by("pk").first().get_absolute_url(),
    }


def measure(client, assert_max, urls, extra=0):
    counts = {}
    for key, bound in BOUNDS.items():
        url = urls.get(key, key)
        with assert_max(bound + extra) as context:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[key] = len(context)
    return counts


@pytest.mark.parametrize("signed_in", [False, True])
def test_query_counts_are_bounded_with_the_seed(
    client, seed, viewer, signed_in, django_assert_max_num_queries
):
    if signed_in:
        client.force_login(viewer)
    extra = SIGNED_IN_EXTRA if signed_in else 0
    measure(client, django_assert_max_num_queries, detail_urls(), extra)


@pytest.mark.parametrize("signed_in", [False, True])
def test_query_counts_stay_the_same_with_ten_times_the_rows(
    client, seed, viewer, signed_in, django_assert_max_num_queries
):
    bulk_create_records(sizes=SEED.times(10))
    assert models.Commitment.objects.count() >= 70
    if signed_in:
        client.force_login(viewer)
    extra = SIGNED_IN_EXTRA if signed_in else 0
    measure(client, django_assert_max_num_queries, detail_urls(), extra)


def test_query_counts_match_at_one_and_ten_times(
    client, seed, capsys, django_assert_max_num_queries
):
    """The same bound at 1x and 10x; prints each page's counts for the closing note."""
    one = measure(client, django_assert_max_num_queries, detail_urls())
    bulk_create_records(sizes=SEED.times(10))
    ten = measure(client, django_assert_max_num_queries, detail_urls())
    with capsys.disabled():
        for key in BOUNDS:
            print(f"QUERIES {key:40} 1x={one[key]:3} 10x={ten[key]:3}")
