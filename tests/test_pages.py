"""The browsing pages: they render, 404 on unknown records, and never leak internal ones."""

import pytest
from django.urls import reverse

from cooperation.models import ComplaintCount, Meeting
from tests import factories
from tests.browsing_data import SECRET, make_internal_records
from tests.helpers import LIST_PAGES

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["dashboard", *LIST_PAGES])
def test_list_pages_render_with_the_seed(client, seed, name):
    response = client.get(reverse(f"cooperation:{name}"))
    assert response.status_code == 200
    assert "<h1>" in response.content.decode()


def test_every_seed_record_has_a_working_page(client, seed):
    from cooperation import models

    for model in (models.Partner, models.Meeting, models.Commitment, models.ComplaintCount,
                  models.Milestone, models.Source):  # fmt: skip
        for record in model.objects.all():
            response = client.get(record.get_absolute_url())
            assert response.status_code == 200, record.get_absolute_url()


@pytest.mark.parametrize(
    "url",
    [
        "/partners/no-such-partner/",
        "/meetings/no-such-meeting/",
        "/commitments/999999/",
        "/commitments/99999999999999999999999/",
        "/complaints/999999/",
        "/milestones/no-such-milestone/",
        "/sources/999999/",
        "/sources/0/",
    ],
)
def test_unknown_records_give_404(client, url):
    assert client.get(url).status_code == 404


@pytest.fixture
def internal():
    return make_internal_records()


def internal_free(response) -> str:
    body = response.content.decode() if hasattr(response, "content") else ""
    if not body and hasattr(response, "streaming_content"):
        body = b"".join(response.streaming_content).decode()
    assert response.status_code == 200
    assert SECRET not in body
    return body


@pytest.mark.parametrize(
    "url",
    [
        "/", "/timeline/", "/timeline/?kind=update", "/partners/", "/meetings/", "/commitments/",
        "/complaints/", "/milestones/", "/search/?q=ZQX", "/search/?q=internal",
        "/partners/?_export=csv", "/meetings/?_export=csv", "/commitments/?_export=csv",
        "/complaints/?_export=csv", "/milestones/?_export=csv", "/meetings.ics", "/timeline/feed/",
    ],
)  # fmt: skip
def test_anonymous_lists_never_show_internal_records(client, internal, url):
    internal_free(client.get(url))


def test_anonymous_detail_pages_never_show_internal_related_records(client, internal):
    for key in ("partner", "meeting", "commitment", "count", "milestone", "source"):
        body = internal_free(client.get(internal[key].get_absolute_url()))
        assert "<h1>" in body


def test_anonymous_does_not_see_internal_figures(client, internal):
    body = internal_free(client.get("/"))
    assert "987654" not in body
    body = internal_free(client.get("/complaints/"))
    assert "987654" not in body


@pytest.mark.parametrize("key", ["internal_partner", "internal_meeting", "internal_commitment",
                                 "internal_count", "internal_source"])  # fmt: skip
def test_anonymous_gets_404_for_internal_records(client, internal, key):
    assert client.get(internal[key].get_absolute_url()).status_code == 404


def test_signed_in_users_see_internal_records(viewer_client, internal):
    assert f"{SECRET} meeting" in viewer_client.get("/meetings/").content.decode()
    body = viewer_client.get(internal["commitment"].get_absolute_url()).content.decode()
    assert f"{SECRET} meeting" in body  # made at an internal meeting
    assert "Stalled, said an internal memo." in body
    assert viewer_client.get(internal["internal_source"].get_absolute_url()).status_code == 200


def test_public_commitment_keeps_its_history_but_hides_an_internal_source(client, internal):
    body = client.get(internal["commitment"].get_absolute_url()).content.decode()
    assert "Stalled" in body
    assert "Public commitment" in body


def test_timeline_shows_dates_with_precision_and_unknown_dates_last(client, seed):
    body = client.get("/timeline/").content.decode()
    assert "1 Nov 2022, year inferred" in body
    assert "Date unknown" in body
    assert body.index("1 Nov 2022, year inferred") < body.index("Date unknown")
    arriola = "Sar Kheng meets IOM Asia-Pacific head Sarah Lou Arriola"
    assert body.index("Date unknown") < body.index(arriola)


def test_timeline_filters_by_partner_kind_and_dates(client, seed):
    body = client.get("/timeline/?partner=france&kind=meeting").content.decode()
    assert "Sar Kheng meets French ambassador Jacques Pellet" not in body  # France is not a party
    body = client.get(
        "/timeline/?partner=embassy-of-france-in-cambodia&kind=meeting"
    ).content.decode()
    assert "Sar Kheng meets French ambassador Jacques Pellet" in body
    assert "Arriola" not in body
    body = client.get("/timeline/?date_from=2022-10-01&date_to=2022-11-30").content.decode()
    assert "Jacques Pellet" in body
    assert "Date unknown" not in body


def test_partner_profile_has_people_commitments_topics_sources_and_action_block(client, seed):
    response = client.get("/partners/ministry-of-interior/")
    body = response.content.decode()
    assert "Sar Kheng" in body
    assert "Begin talks to set priorities" in body
    assert "Human trafficking" in body
    assert "Cambodia and France in talks" in body
    assert "Government of Cambodia" in body  # parent unit
    assert 'class="page-actions"' in body


def test_overdue_commitments_are_marked(client, db):
    import datetime

    factories.CommitmentFactory(title="Late pledge", target_date=datetime.date(2020, 1, 1))
    body = client.get("/commitments/").content.decode()
    assert "overdue" in body
    assert client.get("/commitments/?state=overdue").content.decode().count("Late pledge") == 1


def test_done_when_france_meeting_answers_one_click_from_the_source(client, seed):
    meeting = Meeting.objects.get(slug="sar-kheng-meets-french-ambassador-jacques-pellet")
    body = client.get(meeting.get_absolute_url()).content.decode()
    assert "1 Nov 2022, year inferred" in body
    assert "What came of it" in body
    assert "/sources/" in body and "#passage-c" in body
    source_url = body.split('href="/sources/')[1].split('"')[0]
    source_body = client.get("/sources/" + source_url.split("#")[0]).content.decode()
    assert f'id="{source_url.split("#")[1]}"' in source_body


def test_done_when_complaints_between_august_and_september(client, seed):
    count = ComplaintCount.objects.get()
    body = client.get(count.get_absolute_url()).content.decode()
    assert "289" in body
    assert "18 Aug – 18 Sep 2022, year inferred" in body
    assert "95.0%" in body
    assert "275" in body  # found true, rounded
    assert "#passage-c" in body


def test_done_when_iom_and_cambodia_commitments(client, seed):
    body = client.get("/commitments/?partner=iom-asia-pacific").content.decode()
    assert "Continue cooperation with Cambodia against human trafficking" in body


def test_source_page_marks_every_cited_passage(client, seed):
    from cooperation.models import Source

    source = Source.objects.order_by("pk").first()
    body = client.get(source.get_absolute_url()).content.decode()
    for citation in source.citations.all():
        assert f"passage-c{citation.pk}" in body
    assert "<mark" in body


def test_malformed_filters_give_the_page_with_a_message(client, seed):
    response = client.get("/meetings/?date_from=31-31-2022&partner=%00bad")
    assert response.status_code == 200
    assert "Some filters could not be used" in response.content.decode()
    response = client.get("/timeline/?date_from=2023-01-01&date_to=2022-01-01")
    assert "The end of the range comes before its start." in response.content.decode()


def test_invalid_filters_with_export_give_the_page_not_a_file(client, seed):
    response = client.get("/meetings/?date_from=nope&_export=csv")
    assert response["Content-Type"].startswith("text/html")


def test_meeting_and_milestone_tables_filter_by_topic_and_partner(client, seed):
    body = client.get("/meetings/?topic=border-control").content.decode()
    assert "Sar Kheng meets IOM Asia-Pacific head Sarah Lou Arriola" in body
    assert "Sar Kheng meets French ambassador Jacques Pellet" not in body
    body = client.get("/milestones/?partner=fatf").content.decode()
    assert "Cambodia removed from the FATF grey list" in body
    assert "GCM adopted by the United Nations General Assembly" not in body
