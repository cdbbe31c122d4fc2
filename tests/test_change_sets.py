"""One save, one change: a save that writes a record with its links, inline rows and
citations is one row on /changes/ and one line in the record's history, with its parts."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cooperation import models, services
from cooperation.change_sets import change_set
from tests import factories
from tests.helpers import CITATIONS, management

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_in_chief(db):
    return get_user_model().objects.create_superuser("editor-in-chief", password="x" * 20)


@pytest.fixture
def meeting_saved(client, editor_in_chief):
    """A meeting recorded in the admin in one save: two partners, a participant, two topics,
    a commitment and a quote."""
    source = factories.SourceFactory(
        text="The minister said “we will cooperate” and pledged border talks."
    )
    ministry = factories.PartnerFactory(name="Ministry of the Interior")
    embassy = factories.PartnerFactory(name="Embassy of France")
    minister = factories.PersonFactory(partner=ministry, name="The Minister")
    topics = [factories.TopicFactory(name="Border talks"), factories.TopicFactory(name="Trust")]
    client.force_login(editor_in_chief)
    data = {
        "title": "Minister meets ambassador",
        "slug": "minister-meets-ambassador",
        "visibility": "public",
        "location": "Phnom Penh",
        "date": "2024-03-05",
        "date_precision": "day",
        "date_inferred": "",
        "date_note": "",
        "partners": [ministry.pk, embassy.pk],
        "participants": [minister.pk],
        "topics": [topic.pk for topic in topics],
        "summary": "Cooperation.",
        "language": "en",
        "outcome": "A pledge.",
        **management("commitments", 1),
        "commitments-0-title": "Hold border talks",
        "commitments-0-kind": "pledge",
        "commitments-0-made_by": ministry.pk,
        "commitments-0-made_to": [embassy.pk],
        "commitments-0-topics": [topics[0].pk],
        "commitments-0-date": "2024-03-05",
        "commitments-0-date_precision": "day",
        "commitments-0-date_inferred": "",
        "commitments-0-visibility": "public",
        **management(CITATIONS, 1),
        f"{CITATIONS}-0-source": source.pk,
        f"{CITATIONS}-0-passage": "“we will cooperate”",
        f"{CITATIONS}-0-quoted_person": minister.pk,
    }
    response = client.post(reverse("admin:cooperation_meeting_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return models.Meeting.objects.get(slug="minister-meets-ambassador")


def change_rows(body: str) -> list[str]:
    table = body.split('<table class="table changes"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr[^>]*>.*?</tr>", table.split("<tbody", 1)[1], re.S)


def test_one_admin_save_is_one_row_on_the_changes_page(client, meeting_saved):
    rows = change_rows(client.get(reverse("changes")).content.decode())
    saved = [row for row in rows if "Minister meets ambassador" in row]
    assert len(saved) == 1
    row = saved[0]
    assert "editor-in-chief" in row
    assert "Created" in row
    # Its parts: the commitment made at the meeting and the quote, each once.
    assert row.count("Hold border talks") == 1
    assert row.count("we will cooperate") == 1
    assert "In the same save:" in row
    # The quote's own marks are not doubled.
    assert "““" not in row
    # Nothing else from that save has a row of its own.
    assert not [row for row in rows if "Hold border talks" in row and row is not saved[0]]


def test_every_history_row_of_the_save_shares_one_change_and_one_lead(meeting_saved):
    commitment = meeting_saved.commitments.get()
    rows = [
        *meeting_saved.history.all(),
        *commitment.history.all(),
        *models.Citation.history.filter(object_id=meeting_saved.pk),
    ]
    assert len(rows) > 3  # the meeting, its links one by one, the commitment, the quote
    assert len({row.history_change for row in rows}) == 1
    assert [row for row in rows if row.history_lead] == [meeting_saved.history.earliest()]
    assert {row.history_user.username for row in rows} == {"editor-in-chief"}


def test_the_records_history_in_the_admin_is_one_line_for_the_save(client, meeting_saved):
    body = client.get(
        reverse("admin:cooperation_meeting_history", args=[meeting_saved.pk])
    ).content.decode()
    table = body.split('id="change-history"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == 2  # the heading and one save
    assert "Created" in table
    assert "Hold border talks" in table and "we will cooperate" in table


def test_the_commitment_made_at_the_meeting_names_the_meeting_in_its_history(client, meeting_saved):
    commitment = meeting_saved.commitments.get()
    body = client.get(
        reverse("admin:cooperation_commitment_history", args=[commitment.pk])
    ).content.decode()
    assert "In the same save:" in body
    assert "Minister meets ambassador" in body


def test_a_later_change_diffs_against_the_save_before(client, meeting_saved, editor_in_chief):
    embassy = models.Partner.objects.get(name="Embassy of France")
    services.record_update(
        record=meeting_saved,
        changes={"title": "Minister meets the ambassador", "partners": [embassy]},
        user=editor_in_chief,
    )
    rows = change_rows(client.get(reverse("changes")).content.decode())
    changed = [row for row in rows if "Changed" in row and "the ambassador" in row]
    assert len(changed) == 1
    assert "Minister meets ambassador" in changed[0]  # the old title
    assert "Ministry of the Interior" in changed[0]  # the partner taken off


def test_services_group_their_writes(editor_in_chief):
    source = factories.SourceFactory(text="Words one. Words two.")
    partner = factories.PartnerFactory()
    meeting = services.meeting_create(
        title="Grouped",
        slug="grouped",
        summary="Grouped.",
        date=None,
        date_precision="unknown",
        partners=[partner],
        citations=[services.CitationInput(source=source, passage="Words one.")],
        user=editor_in_chief,
    )
    changes = {row.history_change for row in meeting.history.all()}
    changes |= {row.history_change for row in models.Citation.history.filter(object_id=meeting.pk)}
    assert len(changes) == 1 and None not in changes


def test_writes_outside_a_change_set_are_changes_of_their_own(db):
    partner = factories.PartnerFactory()
    version = partner.history.get()
    assert version.history_change is None and version.history_lead


def test_nested_change_sets_join_the_outer_one(db):
    with change_set() as outer:
        first = models.Topic.objects.create(name="First", slug="first")
        with change_set() as inner:
            second = models.Topic.objects.create(name="Second", slug="second")
    assert inner is outer
    versions = [first.history.get(), second.history.get()]
    assert {v.history_change for v in versions} == {outer.key}
    assert [v.history_lead for v in versions] == [True, False]


def test_a_part_the_viewer_may_not_see_is_not_listed(client, meeting_saved, viewer):
    commitment = meeting_saved.commitments.get()
    owner = factories.PartnerFactory(name="Owner organisation")
    models.Commitment.objects.filter(pk=commitment.pk).update(
        visibility=models.Visibility.INTERNAL, owner=owner
    )
    client.force_login(viewer)
    rows = change_rows(client.get(reverse("changes")).content.decode())
    saved = [row for row in rows if "Minister meets ambassador" in row]
    assert len(saved) == 1
    assert "Hold border talks" not in saved[0]
    assert "we will cooperate" in saved[0]


def test_changes_page_costs_the_same_with_more_saves_and_parts(client, editor_in_chief):
    source = factories.SourceFactory(text="Alpha beta gamma delta.")
    partner = factories.PartnerFactory()

    def save(n):
        for index in range(n):
            services.meeting_create_with_commitments(
                title=f"Meeting {index}",
                slug=f"meeting-{n}-{index}",
                summary="A meeting.",
                date=None,
                date_precision="unknown",
                partners=[partner],
                citations=[services.CitationInput(source=source, passage="Alpha beta")],
                commitments=[
                    {
                        "title": f"Pledge {index}",
                        "made_by": partner,
                        "date": None,
                        "date_precision": "unknown",
                    }
                ],
                user=editor_in_chief,
            )

    def queries():
        with CaptureQueriesContext(connection) as context:
            assert client.get(reverse("changes")).status_code == 200
        return len(context)

    client.force_login(editor_in_chief)
    save(1)
    queries()
    few = queries()
    save(20)
    assert queries() == few


def test_a_meeting_recorded_with_its_commitments_by_the_service_is_one_change(editor_in_chief):
    partner = factories.PartnerFactory()
    meeting = services.meeting_create_with_commitments(
        title="Talks",
        slug="talks",
        summary="Talks.",
        date=None,
        date_precision="unknown",
        partners=[partner],
        commitments=[
            {"title": "Pledge", "made_by": partner, "date": None, "date_precision": "unknown"}
        ],
        user=editor_in_chief,
    )
    commitment = meeting.commitments.get()
    changes = {row.history_change for row in [*meeting.history.all(), *commitment.history.all()]}
    assert len(changes) == 1 and None not in changes
    assert commitment.history.get().history_lead is False
