"""Commitment follow-up: overdue, due soon and stale, the same in Python and in the database,
marked wherever a commitment shows and counted on the dashboard and partner profiles."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cooperation import models
from cooperation.selectors.records import follow_up_counts
from cooperation.services.commitments import commitment_add_update
from tests.factories import CommitmentFactory, PartnerFactory, SourceFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def commitment(*, made: datetime.date | None = None, target=None, **fields):
    precision = models.DatePrecision.DAY if made else models.DatePrecision.UNKNOWN
    return CommitmentFactory(date=made, date_precision=precision, target_date=target, **fields)


def update(record, *, status, on: datetime.date | None, recorded=None):
    source = SourceFactory()
    entry = commitment_add_update(
        commitment=record,
        status=status,
        source=source,
        passage="The ministry met",
        date=on,
        date_precision=models.DatePrecision.DAY if on else models.DatePrecision.UNKNOWN,
    )
    if recorded:
        models.CommitmentUpdate.objects.filter(pk=entry.pk).update(recorded_at=recorded)
    record.refresh_from_db()
    return entry


def marks_both_ways(record) -> tuple[list[str], list[str]]:
    """The marks computed from the loaded record, and from the database's annotations."""
    loaded = models.Commitment.objects.prefetch_related("updates").get(pk=record.pk)
    annotated = models.Commitment.objects.with_follow_up().get(pk=record.pk)
    return loaded.follow_up(), annotated.follow_up()


CASES = [
    # (made, target, updates [(status, date)], expected marks)
    ("made 10 days ago, due in 5", -10, 5, [], ["due_soon"]),
    ("due today", -10, 0, [], ["due_soon"]),
    ("due in 30 days: the last day that is soon", -10, 30, [], ["due_soon"]),
    ("due in 31 days: not yet soon", -10, 31, [], []),
    ("past its target, no news for a year", -365, -1, [], ["overdue", "stale"]),
    ("past its target, with news last week", -365, -1, [("in_progress", -7)], ["overdue"]),
    ("made 91 days ago, no update", -91, None, [], ["stale"]),
    ("made 90 days ago: not yet stale", -90, None, [], []),
    ("old, with news 89 days ago", -400, None, [("in_progress", -89)], []),
    ("old, with news 91 days ago", -400, None, [("in_progress", -91)], ["stale"]),
    ("fulfilled long ago: nothing to follow", -400, -300, [("fulfilled", -350)], []),
    ("withdrawn past its target: overdue, never stale", -400, -300, [("withdrawn", -350)],
     ["overdue"]),
    ("stalled and due soon", -400, 3, [("stalled", -2)], ["due_soon"]),
]  # fmt: skip


@pytest.mark.parametrize(("label", "made", "target", "updates", "expected"), CASES)
def test_marks_follow_the_rules_in_python_and_in_the_database(
    label, made, target, updates, expected
):
    record = commitment(
        made=TODAY + made * DAY, target=None if target is None else TODAY + target * DAY
    )
    for status, on in updates:
        update(record, status=status, on=TODAY + on * DAY)
    loaded, annotated = marks_both_ways(record)
    assert loaded == expected, label
    assert annotated == expected, label


def test_an_undated_update_counts_from_the_day_it_was_recorded():
    record = commitment(made=TODAY - 400 * DAY)
    long_ago = timezone.now() - 200 * DAY
    update(record, status="in_progress", on=None, recorded=long_ago)
    assert marks_both_ways(record) == (["stale"], ["stale"])
    update(record, status="in_progress", on=None)  # recorded now
    assert marks_both_ways(record) == ([], [])


def test_an_undated_commitment_counts_from_the_day_it_was_recorded():
    record = commitment(made=None)
    assert marks_both_ways(record) == ([], [])
    models.Commitment.objects.filter(pk=record.pk).update(created_at=timezone.now() - 100 * DAY)
    assert marks_both_ways(record) == (["stale"], ["stale"])


def test_the_windows_are_settings(settings):
    record = commitment(made=TODAY - 20 * DAY, target=TODAY + 40 * DAY)
    assert marks_both_ways(record) == ([], [])
    settings.COMMITMENT_DUE_SOON_DAYS = 45
    settings.COMMITMENT_STALE_DAYS = 14
    assert marks_both_ways(record) == (["due_soon", "stale"], ["due_soon", "stale"])


@pytest.fixture
def follow_up_data():
    """At one partner: 2 overdue (one also stale), 1 due soon, 1 stale only, 1 quiet, and a
    fulfilled one; and an internal overdue one another organisation owns."""
    partner = PartnerFactory(name="Follow-up partner")
    other = PartnerFactory(name="Other organisation")
    made = {"made_by": partner}
    records = {
        "overdue": commitment(made=TODAY - 30 * DAY, target=TODAY - 2 * DAY, **made),
        "overdue stale": commitment(made=TODAY - 300 * DAY, target=TODAY - 200 * DAY, **made),
        "due soon": commitment(made=TODAY - 5 * DAY, target=TODAY + 10 * DAY, **made),
        "stale": commitment(made=TODAY - 120 * DAY, **made),
        "quiet": commitment(made=TODAY - 5 * DAY, **made),
        "internal": commitment(
            made=TODAY - 300 * DAY,
            target=TODAY - 100 * DAY,
            owner=other,
            visibility=models.Visibility.INTERNAL,
            **made,
        ),
    }
    received = commitment(made=TODAY - 300 * DAY, target=TODAY - 100 * DAY, made_by=other)
    received.made_to.add(partner)
    records["received overdue stale"] = received
    fulfilled = commitment(made=TODAY - 300 * DAY, target=TODAY - 100 * DAY, **made)
    update(fulfilled, status="fulfilled", on=TODAY - 150 * DAY)
    return partner, records


def test_counts_are_the_filtered_lists(follow_up_data, client):
    partner, records = follow_up_data
    visible = models.Commitment.objects.visible_to(None).involving(partner)
    assert follow_up_counts(visible) == {"open": 6, "overdue": 3, "due_soon": 1, "stale": 3}
    for state, titles in {
        "overdue": {"overdue", "overdue stale", "received overdue stale"},
        "due_soon": {"due soon"},
        "stale": {"overdue stale", "stale", "received overdue stale"},
    }.items():
        response = client.get("/commitments/", {"partner": partner.slug, "state": state})
        assert response.status_code == 200
        listed = {c.pk for c in response.context["table"].data}
        assert listed == {records[title].pk for title in titles}, state


def test_the_partner_profile_counts_each_and_links_to_the_list(follow_up_data, client):
    partner, _ = follow_up_data
    response = client.get(partner.get_absolute_url())
    body = response.content.decode()
    brief = response.context["brief"]
    assert (brief.open_total, brief.overdue.total, brief.due_soon.total) == (6, 3, 1)
    assert brief.stale_total == 3
    for state in ("overdue", "due_soon", "stale"):
        assert f"?partner={partner.slug}&amp;state={state}" in body
    table = body[body.index('id="commitments-heading"') :]
    table = table[: table.index("</section>")]
    assert table.count('class="mark mark-overdue"') == 3
    assert table.count('class="mark mark-due-soon"') == 1
    assert table.count('class="mark mark-stale"') == 3


def test_the_dashboard_counts_what_the_reader_may_see(follow_up_data, client, viewer_client):
    _, records = follow_up_data
    figures = client.get("/").context["figures"]
    assert (figures.overdue_commitments, figures.due_soon_commitments) == (3, 1)
    assert figures.stale_commitments == 3
    body = client.get("/").content.decode()
    assert "?state=due_soon" in body and "?state=stale" in body
    admin = models.Commitment.objects.with_follow_up()
    assert admin.filter(is_overdue_flag=True).count() == 4  # the internal one too


def test_marks_show_on_the_list_detail_timeline_and_api(follow_up_data, client):
    _, records = follow_up_data
    listing = client.get("/commitments/", {"state": "due_soon"}).content.decode()
    assert 'class="mark mark-due-soon"' in listing
    assert "Open, with its target date within the next 30 days." in listing
    detail = client.get(records["overdue stale"].get_absolute_url()).content.decode()
    assert 'class="mark mark-overdue"' in detail and 'class="mark mark-stale"' in detail
    quiet = client.get(records["quiet"].get_absolute_url()).content.decode()
    assert 'class="mark ' not in quiet
    timeline = client.get("/timeline/").content.decode()
    assert 'class="mark mark-due-soon"' in timeline
    found = client.get("/search/", {"q": records["overdue stale"].title}).content.decode()
    assert 'class="mark mark-overdue"' in found and 'class="mark mark-stale"' in found
    api = client.get(f"/api/commitments/{records['due soon'].pk}/").json()
    assert (api["is_overdue"], api["is_due_soon"], api["is_stale"]) == (False, True, False)
    api = client.get(f"/api/commitments/{records['overdue stale'].pk}/").json()
    assert (api["is_overdue"], api["is_due_soon"], api["is_stale"]) == (True, False, True)


def test_marks_speak_the_readers_language(follow_up_data, client):
    _, records = follow_up_data
    url = records["overdue stale"].get_absolute_url()
    french = client.get(url, headers={"accept-language": "fr"}).content.decode()
    assert "en retard" in french and "sans nouvelles" in french
    khmer = client.get(url, headers={"accept-language": "km"}).content.decode()
    assert ">overdue<" not in khmer and ">stale<" not in khmer


def test_the_commitments_list_costs_the_same_with_marks(client):
    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get("/commitments/").status_code == 200
        return len(context)

    for n in range(3):
        commitment(made=TODAY - 200 * DAY, target=TODAY - n * DAY)
    few = queries()
    for n in range(20):
        commitment(made=TODAY - 200 * DAY, target=TODAY + n * DAY)
    assert queries() == few
