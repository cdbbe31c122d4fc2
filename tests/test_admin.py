"""The admin panel: every record browsable with its citations, editable, and guarded."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from cooperation import models
from tests import factories
from tests.helpers import CITATIONS, management

pytestmark = pytest.mark.django_db

ADMIN_MODELS = [
    "partner",
    "person",
    "topic",
    "meeting",
    "commitment",
    "complaintcount",
    "milestone",
    "source",
    "citation",
    "report",
]


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("editor-in-chief", password="x" * 20)
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_every_changelist_and_add_page_opens(
    admin_client, seed, model, django_assert_max_num_queries
):
    with django_assert_max_num_queries(15):
        response = admin_client.get(reverse(f"admin:cooperation_{model}_changelist"))
    assert response.status_code == 200
    assert admin_client.get(reverse(f"admin:cooperation_{model}_add")).status_code == 200
    searched = admin_client.get(
        reverse(f"admin:cooperation_{model}_changelist"), {"q": "Sar Kheng"}
    )
    assert searched.status_code == 200


def test_seed_meeting_shows_its_citations_and_history(admin_client, seed):
    meeting = models.Meeting.objects.get(slug="sar-kheng-meets-french-ambassador-jacques-pellet")
    response = admin_client.get(reverse("admin:cooperation_meeting_change", args=[meeting.pk]))
    body = response.content.decode()
    assert "voiced his support for establishing the mechanism" in body
    assert "Begin talks to set priorities" in body
    history = admin_client.get(reverse("admin:cooperation_meeting_history", args=[meeting.pk]))
    assert history.status_code == 200


def test_editor_records_a_meeting_with_commitment_and_quote_in_one_form(admin_client):
    source = factories.SourceFactory(text="The minister said “we will cooperate” at the meeting.")
    ministry = factories.PartnerFactory(name="Ministry")
    embassy = factories.PartnerFactory(name="Embassy")
    minister = factories.PersonFactory(partner=ministry)
    topic = factories.TopicFactory()
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
        "topics": [topic.pk],
        "summary": "Cooperation.",
        "language": "en",
        "outcome": "A pledge.",
        **management("commitments", 1),
        "commitments-0-title": "Cooperate",
        "commitments-0-kind": "pledge",
        "commitments-0-made_by": ministry.pk,
        "commitments-0-made_by_person": minister.pk,
        "commitments-0-made_to": [embassy.pk],
        "commitments-0-date": "2024-03-05",
        "commitments-0-date_precision": "day",
        "commitments-0-date_inferred": "",
        "commitments-0-visibility": "public",
        **management(CITATIONS, 1),
        f"{CITATIONS}-0-source": source.pk,
        f"{CITATIONS}-0-passage": "“we will cooperate”",
        f"{CITATIONS}-0-quoted_person": minister.pk,
    }
    response = admin_client.post(reverse("admin:cooperation_meeting_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    meeting = models.Meeting.objects.get(slug="minister-meets-ambassador")
    assert meeting.commitments.get().made_to.get() == embassy
    quote = meeting.citations.get()
    assert quote.quoted_person == minister
    latest = meeting.history.first()
    assert latest.history_user.username == "editor-in-chief"
    assert sorted(link.partner_id for link in latest.partners.all()) == sorted(
        [ministry.pk, embassy.pk]
    )


def test_admin_refuses_a_passage_not_in_the_source(admin_client):
    source = factories.SourceFactory(text="Only these words.")
    partner = factories.PartnerFactory()
    url = reverse("admin:cooperation_partner_change", args=[partner.pk])
    data = {
        "name": partner.name,
        "short_name": "",
        "slug": partner.slug,
        "kind": partner.kind,
        "country": "KH",
        "description": "",
        "visibility": "public",
        **management(CITATIONS, 1),
        f"{CITATIONS}-0-source": source.pk,
        f"{CITATIONS}-0-passage": "Words that were never written.",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert f"do not appear verbatim in “{source.title}”" in response.content.decode()
    assert not models.Citation.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"count": "-3"}, "greater than or equal to 0"),
        ({"period_end": "2022-08-01"}, "a period cannot end before it starts"),
        ({"verified_share": "1.2"}, "between 0 and 1"),
    ],
)
def test_admin_refuses_a_broken_complaint_count_and_keeps_the_stored_one(
    admin_client, seed, change, message
):
    count = models.ComplaintCount.objects.get()
    data = {
        "received_by": count.received_by_id,
        "period_start": "2022-08-18",
        "period_end": "2022-09-18",
        "period_inferred": "year",
        "period_note": count.period_note,
        "count": "289",
        "origin": count.origin,
        "verified_share": "0.950",
        "verified_share_approximate": "on",
        "meeting": count.meeting_id,
        "visibility": "public",
        **management(CITATIONS, 0),
    } | change
    response = admin_client.post(
        reverse("admin:cooperation_complaintcount_change", args=[count.pk]), data
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    count.refresh_from_db()
    assert (count.count, str(count.verified_share)) == (289, "0.950")


def test_admin_refuses_a_duplicate_slug(admin_client, seed):
    data = {
        "name": "Another ministry",
        "short_name": "",
        "slug": "ministry-of-interior",
        "kind": "ministry",
        "country": "KH",
        "description": "",
        "visibility": "public",
        **management(CITATIONS, 0),
    }
    response = admin_client.post(reverse("admin:cooperation_partner_add"), data)
    assert response.status_code == 200
    assert "Partner with this Slug already exists" in response.content.decode()
    assert models.Partner.objects.filter(slug="ministry-of-interior").count() == 1


def test_adding_a_commitment_update_in_the_admin_moves_the_status(admin_client, seed):
    commitment = models.Commitment.objects.get(pk=1)
    source = commitment.citations.first().source
    prefix = "updates"
    data = {
        "title": commitment.title,
        "kind": commitment.kind,
        "description": commitment.description,
        "language": commitment.language,
        "visibility": "public",
        "made_by": commitment.made_by_id,
        "made_by_person": commitment.made_by_person_id or "",
        "meeting": commitment.meeting_id or "",
        "date": "2022-11-01",
        "date_precision": "day",
        "date_inferred": "year",
        "date_note": commitment.date_note,
        "target_date": "",
        f"{prefix}-TOTAL_FORMS": "2",
        f"{prefix}-INITIAL_FORMS": "1",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        f"{prefix}-0-id": commitment.updates.get().pk,
        f"{prefix}-0-commitment": commitment.pk,
        f"{prefix}-1-date": "2023-01-10",
        f"{prefix}-1-date_precision": "day",
        f"{prefix}-1-date_inferred": "",
        f"{prefix}-1-status": "in_progress",
        f"{prefix}-1-source": source.pk,
        f"{prefix}-1-passage": "Sar Kheng instructed his officials",
        **management(CITATIONS, 0),
    }
    response = admin_client.post(
        reverse("admin:cooperation_commitment_change", args=[commitment.pk]), data
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    commitment.refresh_from_db()
    assert commitment.status == models.CommitmentStatus.IN_PROGRESS
    assert commitment.updates.count() == 2


def test_admin_delete_page_names_the_meetings_that_cite_a_partner(admin_client, seed):
    partner = models.Partner.objects.get(slug="embassy-of-france-in-cambodia")
    url = reverse("admin:cooperation_partner_delete", args=[partner.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    assert "Sar Kheng meets French ambassador Jacques Pellet" in response.content.decode()
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 200
    assert models.Partner.objects.filter(pk=partner.pk).exists()


def test_joining_an_admin_role_grants_staff_and_leaving_it_takes_it_away(db):
    from django.contrib.auth.models import Group

    from cooperation.roles import EDITOR, VIEWER

    user = factories.UserFactory()
    user.groups.add(Group.objects.get(name=VIEWER))
    user.refresh_from_db()
    assert not user.is_staff
    user.groups.add(Group.objects.get(name=EDITOR))
    user.refresh_from_db()
    assert user.is_staff
    user.groups.remove(Group.objects.get(name=EDITOR))
    user.refresh_from_db()
    assert not user.is_staff


def test_changing_a_meetings_partners_in_the_admin_is_in_its_history(admin_client, seed):
    meeting = models.Meeting.objects.get(slug="sar-kheng-meets-french-ambassador-jacques-pellet")
    eu = models.Partner.objects.get(slug="european-union")
    before = meeting.history.count()
    meeting.partners.add(eu)
    latest, previous = meeting.history.all()[:2]
    assert meeting.history.count() == before + 1
    delta = latest.diff_against(previous)
    assert "partners" in delta.changed_fields
