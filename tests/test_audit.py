"""The audit trail: every change in a record's history (who, when, what), revert in the
admin, deletion of cited records refused with the citing records named, and /changes/."""

import datetime

import pytest
from django.contrib import admin
from django.db import connection, transaction
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cooperation import services
from cooperation.admin_protection import ProtectCitedAdminMixin
from cooperation.models import CommitmentStatus, Partner, Source
from cooperation.roles import ADMINISTRATOR, EDITOR
from tests import factories
from tests.factories import user_with_role


@pytest.fixture
def editor(db):
    return user_with_role("editor", EDITOR)


@pytest.fixture
def administrator(db):
    return user_with_role("administrator", ADMINISTRATOR)


def partner_form(partner, **changes):
    data = {
        "name": partner.name,
        "short_name": partner.short_name,
        "slug": partner.slug,
        "kind": partner.kind,
        "country": partner.country,
        "parent": "",
        "description": partner.description,
        "language": partner.language,
        "visibility": partner.visibility,
        "owner": partner.owner_id or "",
        "cooperation-citation-content_type-object_id-TOTAL_FORMS": "0",
        "cooperation-citation-content_type-object_id-INITIAL_FORMS": "0",
        "cooperation-citation-content_type-object_id-MIN_NUM_FORMS": "0",
        "cooperation-citation-content_type-object_id-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def test_admin_edit_is_in_the_history_with_who_and_what(client, editor):
    partner = factories.PartnerFactory(name="Ministry of Interior")
    client.force_login(editor)
    url = reverse("admin:cooperation_partner_change", args=[partner.pk])
    response = client.post(url, partner_form(partner, name="Ministry of the Interior"))
    assert response.status_code == 302, response.content.decode()[:2000]
    latest, before = partner.history.all()[:2]
    assert latest.history_user == editor
    assert latest.history_type == "~"
    delta = latest.diff_against(before)
    assert [(c.field, c.old, c.new) for c in delta.changes] == [
        ("name", "Ministry of Interior", "Ministry of the Interior")
    ]
    history_page = client.get(reverse("admin:cooperation_partner_history", args=[partner.pk]))
    assert "Ministry of the Interior" in history_page.content.decode()
    assert "editor" in history_page.content.decode()


def test_admin_reverts_a_record_to_an_earlier_version(client, editor):
    partner = factories.PartnerFactory(name="Original name")
    original = partner.history.get()
    partner.name = "Mistaken name"
    partner.save()
    client.force_login(editor)
    url = reverse(
        "admin:cooperation_partner_simple_history", args=[partner.pk, original.history_id]
    )
    form = client.get(url)
    assert form.status_code == 200
    response = client.post(url, partner_form(partner, name="Original name"))
    assert response.status_code == 302
    partner.refresh_from_db()
    assert partner.name == "Original name"
    assert partner.history.count() == 3
    assert partner.history.first().history_user == editor


def test_changes_made_by_a_service_are_in_the_history(db):
    source = factories.SourceFactory(text="The ministry confirmed the plan was under way.")
    commitment = factories.CommitmentFactory()
    services.commitment_add_update(
        commitment=commitment,
        status=CommitmentStatus.IN_PROGRESS,
        source=source,
        passage="the plan was under way",
        date=datetime.date(2023, 1, 5),
    )
    latest, before = commitment.history.all()[:2]
    changed = {c.field: (c.old, c.new) for c in latest.diff_against(before).changes}
    assert changed["status"] == (CommitmentStatus.ANNOUNCED, CommitmentStatus.IN_PROGRESS)
    assert commitment.updates.get().history.count() == 1


def test_deleting_a_cited_source_is_refused_naming_the_citing_record(client, administrator):
    meeting = factories.MeetingFactory(title="Border talks in Poipet")
    citation = factories.CitationFactory(record=meeting)
    client.force_login(administrator)
    url = reverse("admin:cooperation_source_delete", args=[citation.source.pk])
    page = client.get(url).content.decode()
    assert "Cannot delete" in page
    assert "Border talks in Poipet" in page or "citation" in page.lower()
    client.post(url, {"post": "yes"})
    assert Source.objects.filter(pk=citation.source.pk).exists()


def test_deleting_a_partner_with_commitments_is_refused_in_the_admin(client, administrator):
    commitment = factories.CommitmentFactory(title="Train 200 border officers")
    client.force_login(administrator)
    url = reverse("admin:cooperation_partner_delete", args=[commitment.made_by.pk])
    page = client.get(url).content.decode()
    assert "Cannot delete" in page
    assert "Train 200 border officers" in page
    client.post(url, {"post": "yes"})
    assert Partner.objects.filter(pk=commitment.made_by.pk).exists()


def test_deleting_a_partner_that_took_part_in_a_meeting_is_refused(db):
    partner = factories.PartnerFactory(name="IOM Cambodia")
    factories.MeetingFactory(title="Counter-trafficking roundtable", partners=[partner])
    # A savepoint each, as any caller that catches the refusal and carries on needs.
    with pytest.raises(ProtectedError) as refusal, transaction.atomic():
        partner.delete()
    assert "Counter-trafficking roundtable" in str(refusal.value)
    assert Partner.objects.filter(pk=partner.pk).exists()
    # The bulk path (the admin's delete action, a queryset) is refused the same way.
    with pytest.raises(ProtectedError), transaction.atomic():
        Partner.objects.filter(pk=partner.pk).delete()
    assert partner.meetings.count() == 1


def test_deleting_a_person_who_took_part_in_a_meeting_is_refused(db):
    person = factories.PersonFactory(name="Chou Bun Eng")
    meeting = factories.MeetingFactory(title="Task force briefing")
    meeting.participants.add(person)
    with pytest.raises(ProtectedError, match="Task force briefing"), transaction.atomic():
        person.delete()


def test_an_uncited_partner_can_be_deleted(db):
    partner = factories.PartnerFactory()
    partner.delete()
    assert not Partner.objects.filter(pk=partner.pk).exists()


def test_admin_mixin_lists_meetings_that_cite_a_partner(rf, administrator):
    partner = factories.PartnerFactory(name="Embassy of France")
    factories.MeetingFactory(title="Embassy visit to the ministry", partners=[partner])
    model_admin = admin.site._registry[Partner]
    assert isinstance(model_admin, ProtectCitedAdminMixin)
    request = rf.get("/")
    request.user = administrator
    _, _, _, protected = model_admin.get_deleted_objects([partner], request)
    assert any("Embassy visit to the ministry" in str(item) for item in protected)


# /changes/


def test_changes_page_is_for_signed_in_users_only(client, db):
    response = client.get(reverse("changes"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_changes_page_lists_who_changed_what(client, editor, viewer):
    partner = factories.PartnerFactory(name="Old partner name")
    client.force_login(editor)
    client.post(
        reverse("admin:cooperation_partner_change", args=[partner.pk]),
        partner_form(partner, name="New partner name"),
    )
    client.force_login(viewer)
    page = client.get(reverse("changes")).content.decode()
    assert "New partner name" in page
    assert "Old partner name" in page  # the old value, in the diff
    assert "editor" in page
    assert "Changed" in page and "Created" in page


def test_changes_filter_by_user_model_and_date(client, editor, viewer):
    partner = factories.PartnerFactory(name="Partner by nobody")
    factories.TopicFactory(name="Topic by nobody")
    client.force_login(editor)
    client.post(
        reverse("admin:cooperation_partner_change", args=[partner.pk]),
        partner_form(partner, name="Partner edited by editor"),
    )
    client.force_login(viewer)
    url = reverse("changes")

    by_editor = client.get(url, {"user": editor.pk}).content.decode()
    assert "Partner edited by editor" in by_editor
    assert "Topic by nobody" not in by_editor

    topics = client.get(url, {"model": "topic"}).content.decode()
    assert "Topic by nobody" in topics
    assert "Partner edited by editor" not in topics

    future = client.get(url, {"since": "2999-01-01"}).content.decode()
    assert "No changes match these filters." in future
    today = timezone.localdate().isoformat()
    assert (
        "Topic by nobody"
        in client.get(url, {"until": "2999-01-01", "since": today}).content.decode()
    )


def test_changes_page_survives_bad_filter_values(client, viewer):
    client.force_login(viewer)
    for params in [{"user": "x"}, {"model": "nope"}, {"since": "yesterday"}, {"page": "999"}]:
        assert client.get(reverse("changes"), params).status_code in (200, 404)


def test_changes_page_query_count_does_not_grow_with_rows(client, viewer):
    client.force_login(viewer)

    def queries_for_page():
        with CaptureQueriesContext(connection) as context:
            assert client.get(reverse("changes")).status_code == 200
        return len(context)

    factories.PartnerFactory()
    factories.MeetingFactory()
    queries_for_page()  # the first visit after signing in also records the session's use
    few = queries_for_page()
    for _ in range(30):
        partner = factories.PartnerFactory()
        partner.name += " (renamed)"
        partner.save()
        factories.MeetingFactory(partners=[partner])
    many = queries_for_page()
    assert many == few
    assert many <= 20


def test_changes_page_shows_a_change_of_links(client, editor):
    meeting = factories.MeetingFactory(title="Border talks")
    meeting.partners.add(factories.PartnerFactory(name="Immigration police"))
    client.force_login(editor)
    body = client.get(reverse("changes")).content.decode()
    assert "Immigration police" in body
