"""The REST API: every kind's list and detail, the pages' filters, cursor pages, tokens,
what a signed-in user sees, creating a meeting with its commitments, throttles, hostile
parameters and query counts."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cooperation.models import Commitment, Meeting, Visibility
from cooperation.roles import EDITOR, VIEWER
from tests import factories
from tests.test_hostile import HOSTILE_TEXT

INTERNAL = Visibility.INTERNAL

# Each kind's list address, and how its detail address is keyed.
KINDS = {
    "partners": "slug",
    "people": "slug",
    "memberships": "slug",
    "topics": "slug",
    "sources": "pk",
    "meetings": "slug",
    "commitments": "pk",
    "complaint-counts": "pk",
    "milestones": "slug",
}


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def one_of_each(db):
    """One public record of every kind, cited, plus a meeting's commitment and update."""
    partner = factories.PartnerFactory(name="Ministry of Interior", slug="moi")
    person = factories.PersonFactory(name="Sok Chea", slug="sok-chea", partner=partner)
    topic = factories.TopicFactory(name="Border control", slug="border-control")
    source = factories.SourceFactory(title="Press release", text="The ministry met IOM today.")
    meeting = factories.MeetingFactory(
        title="Border talks", slug="border-talks", partners=[partner], topics=[topic]
    )
    meeting.participants.add(person)
    factories.CitationFactory(
        record=meeting, source=source, passage="The ministry met IOM", quoted_person=person
    )
    commitment = factories.CommitmentFactory(
        title="Open a hotline", made_by=partner, meeting=meeting
    )
    count = factories.ComplaintCountFactory(received_by=partner, count=42, meeting=meeting)
    milestone = factories.MilestoneFactory(title="Plan adopted", slug="plan-adopted")
    milestone.partners.add(partner)
    return {
        "partners": partner,
        "people": person,
        "memberships": person,
        "topics": topic,
        "sources": source,
        "meetings": meeting,
        "commitments": commitment,
        "complaint-counts": count,
        "milestones": milestone,
    }


def detail_url(kind, record):
    key = record.slug if KINDS[kind] == "slug" else record.pk
    return f"/api/{kind}/{key}/"


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_lists_and_shows_its_records(api, one_of_each, kind):
    record = one_of_each[kind]
    listed = api.get(f"/api/{kind}/")
    assert listed.status_code == 200
    ids = [row["id"] for row in listed.json()["results"]]
    expected = record.slug if KINDS[kind] == "slug" else record.pk
    assert expected in ids
    shown = api.get(detail_url(kind, record))
    assert shown.status_code == 200
    assert shown.json()["id"] == expected


def test_meeting_follows_popolo_event_with_its_sources_and_passages(api, one_of_each):
    body = api.get("/api/meetings/border-talks/").json()
    assert body["name"] == "Border talks"
    assert body["classification"] == "meeting"
    assert body["start_date"] == one_of_each["meetings"].date.isoformat()
    assert body["organization_ids"] == ["moi"]
    assert body["participant_ids"] == ["sok-chea"]
    assert body["topic_ids"] == ["border-control"]
    assert body["commitment_ids"] == [one_of_each["commitments"].pk]
    source = one_of_each["sources"]
    assert body["sources"] == [
        {
            "id": source.pk,
            "title": "Press release",
            "publisher": "",
            "published_on": None,
            "url": "",
        }
    ]
    assert body["citations"] == [
        {"source_id": source.pk, "passage": "The ministry met IOM", "quoted_person_id": "sok-chea"}
    ]


def test_people_partners_and_memberships_follow_popolo(api, one_of_each):
    partner = api.get("/api/partners/moi/").json()
    assert partner["name"] == "Ministry of Interior"
    assert partner["classification"] == "ministry"
    membership = api.get("/api/memberships/sok-chea/").json()
    assert membership["person_id"] == "sok-chea"
    assert membership["organization_id"] == "moi"
    assert membership["role"] == "Spokesperson"


def test_a_commitment_lists_its_status_history(api, one_of_each):
    commitment = one_of_each["commitments"]
    source = one_of_each["sources"]
    from cooperation import services

    services.commitment_add_update(
        commitment=commitment,
        status="in_progress",
        source=source,
        passage="The ministry met IOM",
        date=datetime.date(2022, 12, 1),
    )
    body = api.get(f"/api/commitments/{commitment.pk}/").json()
    assert body["status"] == "in_progress"
    assert [u["status"] for u in body["updates"]] == ["in_progress"]
    assert body["updates"][0]["passage"] == "The ministry met IOM"
    assert body["meeting_id"] == "border-talks"


# Filters -----------------------------------------------------------------------------------


def test_the_pages_filters_narrow_the_lists(api, db):
    moi = factories.PartnerFactory(slug="moi")
    iom = factories.PartnerFactory(slug="iom", kind="igo")
    factories.MeetingFactory(title="Hotline review", partners=[moi], date=datetime.date(2022, 3, 1))
    factories.MeetingFactory(title="Shelter visit", partners=[iom], date=datetime.date(2023, 3, 1))
    titles = lambda url: [m["name"] for m in api.get(url).json()["results"]]  # noqa: E731
    assert titles("/api/meetings/?partner=moi") == ["Hotline review"]
    assert titles("/api/meetings/?q=shelter") == ["Shelter visit"]
    assert titles("/api/meetings/?date_from=2023-01-01") == ["Shelter visit"]
    kinds = [p["id"] for p in api.get("/api/partners/?kind=igo").json()["results"]]
    assert kinds == ["iom"]
    factories.CommitmentFactory(title="Fund shelters", made_by=iom, status="fulfilled")
    factories.CommitmentFactory(title="Train police", made_by=iom)
    open_ones = api.get("/api/commitments/?state=open").json()["results"]
    assert [c["title"] for c in open_ones] == ["Train police"]


def test_a_bad_filter_is_refused_naming_the_field(api, db):
    response = api.get("/api/meetings/?date_from=2023-01-01&date_to=2022-01-01")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["date_to"]
    response = api.get("/api/meetings/?partner=no-such-partner")
    assert response.status_code == 400
    assert "partner" in response.json()["fields"]


def test_a_partner_filter_does_not_accept_a_partner_the_caller_may_not_see(api, db):
    factories.PartnerFactory(slug="hidden-unit", visibility=INTERNAL)
    response = api.get("/api/meetings/?partner=hidden-unit")
    assert response.status_code == 400


# Cursor pages -----------------------------------------------------------------------------


def test_lists_are_read_newest_first_a_cursor_page_at_a_time(api, db):
    partner = factories.PartnerFactory()
    made = [factories.MeetingFactory(partners=[partner]).slug for _ in range(7)]
    seen, url = [], "/api/meetings/?page_size=3"
    while url:
        body = api.get(url).json()
        assert len(body["results"]) <= 3
        seen += [m["id"] for m in body["results"]]
        url = body["next"]
    assert seen == list(reversed(made))


def test_complaint_counts_page_by_the_newest_period(api, db):
    partner = factories.PartnerFactory()
    for month in (1, 5, 3):
        factories.ComplaintCountFactory(
            received_by=partner,
            period_start=datetime.date(2022, month, 1),
            period_end=datetime.date(2022, month, 28),
        )
    first = api.get("/api/complaint-counts/?page_size=2").json()
    second = api.get(first["next"]).json()
    starts = [c["period_start"] for c in first["results"] + second["results"]]
    assert starts == ["2022-05-01", "2022-03-01", "2022-01-01"]


@pytest.mark.parametrize("kind", ["meetings", "complaint-counts", "partners"])
def test_a_forged_cursor_is_a_4xx_not_a_500(api, db, kind):
    import base64

    factories.ComplaintCountFactory()
    for position in ["abc", "2022-13-45", "\x00", "9" * 40]:
        forged = base64.b64encode(f"p={position}&o=1".encode()).decode()
        status = api.get(f"/api/{kind}/", {"cursor": forged}).status_code
        assert status in (200, 404), position
        if position == "abc" and kind != "partners":
            assert status == 404
    assert api.get(f"/api/{kind}/?cursor=zz").status_code == 404


# Who sees what ------------------------------------------------------------------------------


@pytest.fixture
def internal_records(db):
    partner = factories.PartnerFactory(slug="moi")
    hidden_partner = factories.PartnerFactory(slug="obsidian-unit", visibility=INTERNAL)
    meeting = factories.MeetingFactory(
        title="Public summit", slug="public-summit", partners=[partner, hidden_partner]
    )
    factories.MeetingFactory(
        title="Zephyrine briefing", slug="zephyrine", partners=[partner], visibility=INTERNAL
    )
    commitment = factories.CommitmentFactory(title="Open a hotline", made_by=hidden_partner)
    return {"meeting": meeting, "commitment": commitment}


def test_anonymous_callers_see_public_records_and_no_hidden_link(api, internal_records):
    listed = [m["id"] for m in api.get("/api/meetings/").json()["results"]]
    assert listed == ["public-summit"]
    assert api.get("/api/meetings/zephyrine/").status_code == 404
    assert api.get("/api/meetings/public-summit/").json()["organization_ids"] == ["moi"]
    commitment = internal_records["commitment"]
    assert api.get(f"/api/commitments/{commitment.pk}/").json()["made_by_id"] is None


def test_a_token_shows_what_its_user_sees_on_the_pages(api, viewer, internal_records):
    token = Token.objects.create(user=viewer)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    listed = {m["id"] for m in api.get("/api/meetings/").json()["results"]}
    assert listed == {"public-summit", "zephyrine"}
    body = api.get("/api/meetings/public-summit/").json()
    assert sorted(body["organization_ids"]) == ["moi", "obsidian-unit"]


def test_the_api_and_the_pages_agree_on_what_a_user_sees(client, viewer, internal_records):
    client.force_login(viewer)
    page = client.get("/meetings/").content.decode()
    listed = client.get("/api/meetings/").json()["results"]
    assert {m["name"] for m in listed} == {"Public summit", "Zephyrine briefing"}
    assert all(m["name"] in page for m in listed)
    client.logout()
    anonymous_page = client.get("/meetings/").content.decode()
    anonymous = client.get("/api/meetings/").json()["results"]
    assert "Zephyrine" not in anonymous_page
    assert [m["name"] for m in anonymous] == ["Public summit"]


def test_a_revoked_token_no_longer_signs_in(api, viewer, internal_records):
    token = Token.objects.create(user=viewer)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/meetings/zephyrine/").status_code == 200
    token.delete()
    response = api.get("/api/meetings/zephyrine/")
    assert response.status_code in (401, 403)
    assert "detail" in response.json()


def test_administrators_issue_and_revoke_tokens_in_the_admin(client, db):
    admin = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    user = factories.UserFactory(username="iom-officer")
    client.force_login(admin)
    response = client.post("/admin/authtoken/tokenproxy/add/", {"user": user.pk})
    assert response.status_code == 302, response.content[:500]
    token = Token.objects.get(user=user)
    response = client.post(f"/admin/authtoken/tokenproxy/{user.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Token.objects.filter(key=token.key).exists()


# Creating a meeting --------------------------------------------------------------------------


@pytest.fixture
def editor(db):
    return factories.user_with_role("api-editor", EDITOR)


@pytest.fixture
def editor_api(api, editor):
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=editor).key}")
    return api


@pytest.fixture
def meeting_input(db):
    moi = factories.PartnerFactory(slug="moi")
    factories.PartnerFactory(slug="iom", kind="igo")
    factories.PersonFactory(slug="sok-chea", partner=moi)
    factories.TopicFactory(slug="border-control")
    source = factories.SourceFactory(text="The ministry met IOM. IOM pledged to fund shelters.")
    return {
        "title": "Border talks",
        "slug": "border-talks",
        "summary": "They discussed the border.",
        "date": "2023-02-01",
        "visibility": "internal",
        "organization_ids": ["moi", "iom"],
        "participant_ids": ["sok-chea"],
        "topic_ids": ["border-control"],
        "citations": [{"source_id": source.pk, "passage": "The ministry met IOM."}],
        "commitments": [
            {
                "title": "Fund shelters",
                "made_by_id": "iom",
                "made_to_ids": ["moi"],
                "date": "2023-02-01",
                "citations": [{"source_id": source.pk, "passage": "IOM pledged to fund shelters."}],
            }
        ],
    }


def test_an_editor_creates_a_meeting_with_its_commitments_and_citations(
    editor_api, editor, meeting_input
):
    response = editor_api.post("/api/meetings/", meeting_input, format="json")
    assert response.status_code == 201, response.json()
    meeting = Meeting.objects.get(slug="border-talks")
    assert response.json()["id"] == "border-talks"
    assert meeting.owner.slug == factories.OWNER_SLUG
    assert sorted(p.slug for p in meeting.partners.all()) == ["iom", "moi"]
    assert meeting.citations.count() == 1
    commitment = meeting.commitments.get()
    assert commitment.title == "Fund shelters"
    assert commitment.citations.get().passage == "IOM pledged to fund shelters."
    assert meeting.history.first().history_user == editor
    assert response.json()["commitment_ids"] == [commitment.pk]


def test_bad_input_is_refused_field_by_field_and_nothing_is_written(editor_api, meeting_input):
    meeting_input["commitments"][0]["citations"][0]["passage"] = "Words not in the source."
    meeting_input["commitments"].append({"made_by_id": "iom", "date": "2023-02-01"})
    response = editor_api.post("/api/meetings/", meeting_input, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["commitments.1.title"]
    del meeting_input["commitments"][1]
    response = editor_api.post("/api/meetings/", meeting_input, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["commitments.0.citations.0.passage"]
    assert not Meeting.objects.exists()
    assert not Commitment.objects.exists()


def test_a_meeting_error_and_a_commitment_error_are_reported_together(editor_api, meeting_input):
    meeting_input["date"] = None
    meeting_input["commitments"][0]["date"] = "2023-01-01"
    meeting_input["commitments"][0]["target_date"] = "not a date"
    response = editor_api.post("/api/meetings/", meeting_input, format="json")
    assert response.status_code == 400
    assert "commitments.0.target_date" in response.json()["fields"]
    del meeting_input["commitments"][0]["target_date"]
    response = editor_api.post("/api/meetings/", meeting_input, format="json")
    assert set(response.json()["fields"]) == {"date"}  # a date or 'unknown'
    assert not Meeting.objects.exists()


def test_an_editor_may_not_give_a_meeting_to_another_organisation(editor_api, meeting_input):
    meeting_input["owner_id"] = "iom"
    response = editor_api.post("/api/meetings/", meeting_input, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["owner_id"]
    assert not Meeting.objects.exists()


def test_an_editor_may_not_link_a_partner_they_may_not_see(editor_api, meeting_input):
    factories.PartnerFactory(
        slug="elsewhere", visibility=INTERNAL, owner=factories.PartnerFactory()
    )
    meeting_input["organization_ids"] = ["moi", "elsewhere"]
    response = editor_api.post("/api/meetings/", meeting_input, format="json")
    assert response.status_code == 400
    assert "organization_ids" in response.json()["fields"]


@pytest.mark.parametrize("who", ["anonymous", "viewer"])
def test_only_editors_create_meetings(api, meeting_input, who):
    if who == "viewer":
        user = factories.user_with_role("api-viewer", VIEWER, staff=False)
        api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    response = api.post("/api/meetings/", meeting_input, format="json")
    assert response.status_code == 403
    assert "detail" in response.json()
    assert not Meeting.objects.exists()


def test_a_session_write_needs_its_csrf_token(editor, meeting_input):
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(editor)
    response = session.post("/api/meetings/", meeting_input, format="json")
    assert response.status_code == 403
    assert not Meeting.objects.exists()


def test_other_kinds_are_read_only(editor_api, one_of_each):
    response = editor_api.post("/api/partners/", {"name": "New"}, format="json")
    assert response.status_code == 405, response.json()
    response = editor_api.delete("/api/meetings/border-talks/")
    assert response.status_code == 405, response.json()
    assert Meeting.objects.filter(slug="border-talks").exists()


@pytest.mark.parametrize(
    "method, url",
    [
        ("delete", "/api/meetings/border-talks/"),
        ("put", "/api/meetings/border-talks/"),
        ("patch", "/api/partners/moi/"),
        ("post", "/api/partners/"),
        ("delete", "/api/meetings/"),
    ],
)
def test_a_method_no_endpoint_takes_is_405_for_anyone(api, one_of_each, method, url):
    response = getattr(api, method)(url, {}, format="json")
    assert response.status_code == 405, response.json()
    assert response.json()["detail"]
    assert "GET" in response["Allow"]


def test_a_body_that_is_not_json_is_a_400(editor_api, meeting_input):
    response = editor_api.post("/api/meetings/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


# Throttles -----------------------------------------------------------------------------------


@pytest.fixture
def throttles(settings):
    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": "5/minute"},
    }
    yield
    cache.clear()


def test_anonymous_callers_are_throttled(api, db, throttles):
    codes = [api.get("/api/topics/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert "detail" in api.get("/api/topics/").json()


def test_each_user_is_throttled_on_their_own(api, viewer, editor, throttles):
    for user in (viewer, editor):
        api.force_authenticate(user)
        codes = [api.get("/api/topics/").status_code for _ in range(6)]
        assert codes == [200] * 5 + [429]


def test_a_bad_rate_in_the_environment_stops_start_up(monkeypatch):
    import importlib

    from django.core.exceptions import ImproperlyConfigured

    import config.settings

    monkeypatch.setenv("API_ANON_RATE", "lots")
    with pytest.raises(ImproperlyConfigured, match="API_ANON_RATE"):
        importlib.reload(config.settings)
    monkeypatch.delenv("API_ANON_RATE")
    importlib.reload(config.settings)


# Hostile parameters and query counts ----------------------------------------------------------


LIST_PARAMETERS = ["q", "partner", "topic", "kind", "country", "status", "state", "received_by"]
LIST_PARAMETERS += ["date_from", "date_to", "verified", "cursor", "page_size", "format"]


@pytest.mark.parametrize("kind", KINDS)
def test_hostile_query_parameters_give_a_4xx_never_a_500(kind, viewer, db):
    factories.MeetingFactory()
    signed_in = APIClient()
    signed_in.force_authenticate(viewer)

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(name=st.sampled_from(LIST_PARAMETERS), value=HOSTILE_TEXT, anonymous=st.booleans())
    def survives(name, value, anonymous):
        caller = APIClient() if anonymous else signed_in
        response = caller.get(f"/api/{kind}/", {name: value})
        assert response.status_code in (200, 400, 404), (name, value[:80])

    survives()


def _queries(api, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert api.get(url).status_code == 200
    return len(captured)


def _rows(n: int) -> None:
    source = factories.SourceFactory()
    for _ in range(n):
        partner = factories.PartnerFactory(parent=factories.PartnerFactory())
        person = factories.PersonFactory(partner=partner)
        meeting = factories.MeetingFactory(partners=[partner], topics=[factories.TopicFactory()])
        meeting.participants.add(person)
        factories.CitationFactory(record=meeting, source=source, quoted_person=person)
        commitment = factories.CommitmentFactory(made_by=partner, meeting=meeting)
        commitment.made_to.add(partner)
        factories.CitationFactory(record=commitment, source=source)
        factories.ComplaintCountFactory(received_by=partner, meeting=meeting)
        factories.MilestoneFactory().partners.add(partner)


@pytest.mark.parametrize("anonymous", [True, False])
def test_list_queries_do_not_grow_with_rows(api, viewer, django_assert_max_num_queries, anonymous):
    if not anonymous:
        api.force_authenticate(viewer)
    _rows(2)
    few = {kind: _queries(api, f"/api/{kind}/") for kind in KINDS}
    _rows(8)
    for kind in KINDS:
        with django_assert_max_num_queries(few[kind]):
            api.get(f"/api/{kind}/")
        assert len(api.get(f"/api/{kind}/").json()["results"]) >= 10 or kind in {"sources"}
    assert max(few.values()) <= 12, few
