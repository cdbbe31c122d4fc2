"""Errors where the eye is: the admin's note at the top of a change form names and links each
field in error, of the record and of its inline rows; a broken rule of the model is shown on
its field; a form with dates says their time zone. And a record's page shows the Sources
heading only above sources."""

import datetime
import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import reverse

from cooperation import admin_errors, models
from tests import factories
from tests.helpers import CITATIONS, management

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("editor-in-chief", password="x" * 20)
    client.force_login(user)
    return client


class Page(HTMLParser):
    """The ids of a page's elements, and the links of its error note with their text."""

    def __init__(self, html: str):
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []
        self._depth = 0  # inside the error note: its open <div>s
        self._href: str | None = None
        self._text = ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "div" and (self._depth or attrs.get("id") == "error-summary"):
            self._depth += 1
        if self._depth and tag == "a":
            self._href, self._text = attrs.get("href", ""), ""

    def handle_endtag(self, tag):
        if self._depth and tag == "a" and self._href is not None:
            self.links.append((" ".join(self._text.split()), self._href))
            self._href = None
        if self._depth and tag == "div":
            self._depth -= 1

    def handle_data(self, data):
        if self._href is not None:
            self._text += data


def meeting_data(**changes) -> dict:
    """A meeting add form with two commitment rows and a citation, as the admin posts it."""
    source = factories.SourceFactory(text="The minister said “we will cooperate” at the meeting.")
    ministry = factories.PartnerFactory(name="Ministry")
    data = {
        "title": "Minister meets ambassador",
        "slug": "minister-meets-ambassador",
        "visibility": "public",
        "location": "Phnom Penh",
        "date": "2024-03-05",
        "date_precision": "day",
        "date_inferred": "",
        "date_note": "",
        "partners": [ministry.pk],
        "summary": "Cooperation.",
        "language": "en",
        **management("commitments", 2),
        **management(CITATIONS, 1),
        f"{CITATIONS}-0-source": source.pk,
        f"{CITATIONS}-0-passage": "“we will cooperate”",
    }
    for row in (0, 1):
        data |= {
            f"commitments-{row}-title": f"Cooperate {row}",
            f"commitments-{row}-kind": "pledge",
            f"commitments-{row}-made_by": ministry.pk,
            f"commitments-{row}-date": "2024-03-05",
            f"commitments-{row}-date_precision": "day",
            f"commitments-{row}-date_inferred": "",
            f"commitments-{row}-visibility": "public",
        }
    return data | changes


def post_meeting(client, **changes):
    response = client.post(reverse("admin:cooperation_meeting_add"), meeting_data(**changes))
    assert response.status_code == 200, "the form was accepted"
    return response


def test_the_note_names_and_links_each_field_in_error_of_the_record_and_its_rows(admin_client):
    response = post_meeting(
        admin_client,
        **{
            "title": "",
            "commitments-1-title": "",
            "commitments-1-made_by": "",
            f"{CITATIONS}-0-passage": "Words that were never written.",
        },
    )
    html = response.content.decode()
    page = Page(html)
    assert page.links == [
        ("Title", "#id_title"),
        ("Commitment 2 — What", "#id_commitments-1-title"),  # its label
        ("Commitment 2 — By", "#id_commitments-1-made_by"),  # the select2 box's <select>
        ("Citation 1 — Passage", f"#id_{CITATIONS}-0-passage"),
    ]
    for _label, href in page.links:
        assert href.removeprefix("#") in page.ids, href
    # The note is at the top of the form, above the first field, and says what is wrong.
    note = html.index('id="error-summary"')
    assert html.index("<form") < note < html.index('name="title"')
    summary = html[note : html.index("</div>", note)]
    # Each message follows its link, less the field's name it would repeat.
    assert "Citation 1 — Passage</a>: these words do not appear verbatim in" in summary
    assert "Please correct the errors below." in summary
    assert html.count("Please correct the error") == 1, "Django's own note is not shown too"
    assert not models.Meeting.objects.exists()


def test_a_form_without_errors_has_no_note(admin_client, seed):
    meeting = models.Meeting.objects.order_by("pk").first()
    response = admin_client.get(reverse("admin:cooperation_meeting_change", args=[meeting.pk]))
    assert "admin/cooperation/change_form.html" in [t.name for t in response.templates]
    assert 'id="error-summary"' not in response.content.decode()


def test_the_rows_of_an_inline_and_the_record_as_a_whole_are_linked_too(admin_client):
    data = meeting_data()
    del data[f"{CITATIONS}-TOTAL_FORMS"]  # a tampered form: the set of rows is in error
    response = admin_client.post(reverse("admin:cooperation_meeting_add"), data)
    page = Page(response.content.decode())
    assert page.links == [
        ("Citations (the source passages this record rests on)", f"#{CITATIONS}-group")
    ]
    assert f"{CITATIONS}-group" in page.ids

    request = RequestFactory().post("/")
    request.user = get_user_model().objects.get()
    model_admin = admin.site._registry[models.Meeting]
    form = model_admin.get_form(request)(data={"title": "A title"})
    form.is_valid()
    form.add_error(None, "Something about the meeting as a whole.")
    adminform = helpers.AdminForm(form, model_admin.get_fieldsets(request), {}, [], model_admin)
    whole = admin_errors.error_links(adminform, [])[0]
    assert whole == ("Meeting", "meeting_form", ["Something about the meeting as a whole."])


def test_a_period_that_ends_before_it_starts_is_an_error_of_its_end(admin_client):
    count = factories.ComplaintCountFactory()
    data = {
        "received_by": count.received_by_id,
        "period_start": "2022-08-18",
        "period_end": "2022-08-01",
        "period_inferred": "",
        "count": "289",
        "visibility": "public",
        "owner": count.owner_id,
        **management(CITATIONS, 0),
    }
    response = admin_client.post(
        reverse("admin:cooperation_complaintcount_change", args=[count.pk]), data
    )
    form = response.context["adminform"].form
    assert form.errors["period_end"] == ["Period end: a period cannot end before it starts."]
    assert not form.non_field_errors()
    html = response.content.decode()
    row = html[html.index("field-period_end") :]
    assert row.index("a period cannot end before it starts") < row.index('name="period_end"')
    assert ("Period end", "#id_period_end") in Page(html).links
    assert "Period end</a>: a period cannot end before it starts." in html


def test_a_date_that_does_not_match_its_precision_is_an_error_of_the_date(admin_client):
    response = post_meeting(
        admin_client,
        date="",
        **{"commitments-0-date_precision": "unknown"},  # a date given, yet 'unknown'
    )
    form = response.context["adminform"].form
    assert list(form.errors) == ["date"]
    assert "give a date unless its precision is 'unknown'" in form.errors["date"][0]
    commitments = response.context["inline_admin_formsets"][0].formset
    assert list(commitments.forms[0].errors) == ["date"]
    assert Page(response.content.decode()).links == [
        ("Date", "#id_date"),
        ("Commitment 1 — Date", "#id_commitments-0-date"),
    ]


def test_an_internal_record_without_an_owner_is_an_error_of_the_owner(admin_client):
    response = post_meeting(admin_client, visibility="internal", owner="")
    form = response.context["adminform"].form
    assert form.errors["owner"] == [
        "Owner: a shared or internal record needs an owner organisation."
    ]
    assert not form.non_field_errors()


def test_a_translation_into_the_records_own_language_is_an_error_of_its_language(admin_client):
    response = post_meeting(admin_client, title_en="The same title again")
    form = response.context["adminform"].form
    assert list(form.errors) == ["language"]
    assert "stays empty" in form.errors["language"][0]


def test_a_form_with_dates_says_once_which_time_zone_they_are_in(admin_client, settings):
    settings.TIME_ZONE = "Asia/Phnom_Penh"
    page = admin_client.get(reverse("admin:cooperation_meeting_add")).content.decode()
    assert page.count("Dates and times are Phnom Penh time (UTC+7).") == 1
    without_dates = admin_client.get(reverse("admin:cooperation_partner_add")).content.decode()
    assert "Dates and times are" not in without_dates


@pytest.mark.parametrize(
    ("offset", "written"),
    [
        (datetime.timedelta(hours=7), "UTC+7"),
        (datetime.timedelta(hours=5, minutes=30), "UTC+5:30"),
        (datetime.timedelta(hours=-3), "UTC-3"),
        (datetime.timedelta(), "UTC"),
    ],
)
def test_an_offset_from_utc_is_written_as_people_write_it(offset, written):
    assert admin_errors.utc_offset(offset) == written


def test_the_import_list_keeps_its_own_template(admin_client):
    response = admin_client.get(reverse("admin:cooperation_meeting_changelist"))
    assert "admin/cooperation/change_list_import.html" in [t.name for t in response.templates]
    assert reverse("admin:cooperation_meeting_import") in response.content.decode()


# The Sources heading ----------------------------------------------------------------------


def headings(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<h2[^>]*>(.*?)</h2>", html)]


def test_a_record_cited_only_by_a_quote_has_no_empty_sources_heading(client):
    meeting = factories.MeetingFactory()
    factories.CitationFactory(record=meeting, quoted_person=factories.PersonFactory())
    html = client.get(meeting.get_absolute_url()).content.decode()
    assert "Quotes" in headings(html)
    assert "Sources" not in headings(html)
    assert 'id="sources-heading"' not in html


def test_a_record_with_ordinary_citations_keeps_its_sources_heading(client):
    meeting = factories.MeetingFactory()
    citation = factories.CitationFactory(record=meeting)
    factories.CitationFactory(record=meeting, quoted_person=factories.PersonFactory())
    html = client.get(meeting.get_absolute_url()).content.decode()
    assert "Sources" in headings(html) and "Quotes" in headings(html)
    sources = html[html.index('id="sources-heading"') :]
    assert citation.passage in sources


@pytest.mark.parametrize("kind", ["milestone", "complaintcount", "partner"])
def test_a_record_without_citations_says_so_under_its_sources_heading(client, kind):
    record = {
        "milestone": factories.MilestoneFactory,
        "complaintcount": factories.ComplaintCountFactory,
        "partner": factories.PartnerFactory,
    }[kind]()
    html = client.get(record.get_absolute_url()).content.decode()
    assert "Sources" in headings(html)
    assert "No source you may see is cited for this record." in html
