"""The write path: every record kind is created and changed with its links and citations in one
transaction, by every rule of its model, with its history naming who did it; the admin saves
through the same functions."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse

from cooperation import models, services
from cooperation.services import CitationInput
from tests import factories

pytestmark = pytest.mark.django_db

TEXT = "The minister said “we will cooperate” and 289 complaints were received."
PASSAGE = "“we will cooperate”"


@pytest.fixture
def editor():
    return factories.UserFactory(username="editor")


@pytest.fixture
def source():
    # Unowned, so that a refused partner leaves no partner at all behind.
    return factories.SourceFactory(text=TEXT, owner=None)


def partner_data():
    return {
        "name": "Ministry of Interior",
        "slug": "moi",
        "kind": "ministry",
        "country": "KH",
        "language": "en",
    }


def person_data():
    return {
        "name": "Sar Kheng",
        "slug": "sar-kheng",
        "partner": factories.PartnerFactory(),
        "role": "Minister",
    }


def meeting_data():
    return {
        "title": "Minister meets ambassador",
        "slug": "minister-meets-ambassador",
        "date": datetime.date(2024, 3, 5),
        "summary": "Cooperation.",
        "partners": [factories.PartnerFactory(), factories.PartnerFactory()],
        "participants": [factories.PersonFactory()],
        "topics": [factories.TopicFactory()],
    }


def commitment_data():
    return {
        "title": "Cooperate",
        "made_by": factories.PartnerFactory(),
        "made_to": [factories.PartnerFactory()],
        "date": datetime.date(2024, 3, 5),
    }


def complaint_count_data():
    return {
        "received_by": factories.PartnerFactory(),
        "period_start": datetime.date(2022, 8, 18),
        "period_end": datetime.date(2022, 9, 18),
        "count": 289,
    }


def milestone_data():
    return {
        "title": "Plan adopted",
        "slug": "plan-adopted",
        "kind": "plan",
        "date": datetime.date(2023, 1, 1),
        "partners": [factories.PartnerFactory()],
    }


CITED_KINDS = {
    "partner": (services.partner_create, partner_data, models.Partner),
    "person": (services.person_create, person_data, models.Person),
    "meeting": (services.meeting_create, meeting_data, models.Meeting),
    "commitment": (services.commitment_create, commitment_data, models.Commitment),
    "complaint count": (
        services.complaint_count_create,
        complaint_count_data,
        models.ComplaintCount,
    ),
    "milestone": (services.milestone_create, milestone_data, models.Milestone),
}


@pytest.mark.parametrize("kind", CITED_KINDS)
def test_each_kind_is_created_with_its_links_and_citations_in_the_users_name(kind, editor, source):
    create, data, _model = CITED_KINDS[kind]
    values = data()
    record = create(
        user=editor, citations=[CitationInput(source=source, passage=PASSAGE)], **values
    )
    record.refresh_from_db()
    for name in (f.name for f in record._meta.many_to_many):
        assert set(getattr(record, name).all()) == set(values.get(name, []))
    citation = record.citations.get()
    assert citation.passage == PASSAGE
    assert citation.history.get().history_user == editor
    assert {row.history_user for row in record.history.all()} == {editor}


def test_topics_and_sources_are_created_in_the_users_name(editor):
    topic = services.topic_create(user=editor, name="Border control", slug="border-control")
    source = services.source_create(
        user=editor, title="Minutes", reference="minutes.txt", text="The minutes."
    )
    assert topic.history.get().history_user == editor
    assert source.history.get().history_user == editor
    assert source.visibility == models.Visibility.PUBLIC


@pytest.mark.parametrize(
    ("kind", "change", "named"),
    [
        ("partner", {"kind": "pirate"}, "kind"),
        ("partner", {"slug": "not a slug"}, "slug"),
        ("partner", {"colour": "blue"}, "colour"),
        ("partner", {"country": "kh"}, "Country:"),
        ("person", {"role": ""}, "role"),
        ("meeting", {"partners": []}, "partners"),
        ("meeting", {"date": None}, "Date:"),
        ("meeting", {"summary": ""}, "summary"),
        ("commitment", {"status": "fulfilled"}, "status"),
        ("commitment", {"target_date": "someday"}, "target_date"),
        ("complaint count", {"count": -1}, "count"),
        ("complaint count", {"period_end": datetime.date(2022, 8, 1)}, "Period end"),
        ("milestone", {"kind": ""}, "kind"),
        (
            "milestone",
            {"created_at": datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)},
            "created_at",
        ),
    ],
)
def test_a_broken_rule_is_refused_naming_the_field_and_nothing_is_written(
    kind, change, named, editor, source
):
    create, data, model = CITED_KINDS[kind]
    values = data() | change
    with pytest.raises(ValidationError) as refusal:
        create(user=editor, citations=[CitationInput(source=source, passage=PASSAGE)], **values)
    assert named in refusal.value.message_dict or named in str(refusal.value)
    assert not model.objects.exists()
    assert not models.Citation.objects.exists()


@pytest.mark.parametrize("kind", CITED_KINDS)
def test_a_passage_not_in_its_source_undoes_the_whole_record(kind, editor, source):
    create, data, model = CITED_KINDS[kind]
    good = CitationInput(source=source, passage=PASSAGE)
    bad = CitationInput(source=source, passage="we will never cooperate")
    with pytest.raises(ValidationError) as refusal:
        create(user=editor, citations=[good, bad], **data())
    assert list(refusal.value.message_dict) == ["citations.1.passage"]
    assert not model.objects.exists()
    assert not model.history.exists()
    assert not models.Citation.objects.exists()
    assert not models.Citation.history.exists()


def test_a_refused_meeting_leaves_no_record_links_or_history(editor, source):
    data = meeting_data()
    with pytest.raises(ValidationError):
        services.meeting_create(
            user=editor, citations=[CitationInput(source=source, passage="not there")], **data
        )
    assert not models.Meeting.objects.exists()
    assert not models.Meeting.history.exists()
    assert not models.Meeting.partners.through.objects.exists()


def test_record_update_changes_fields_links_and_citations_in_the_users_name(editor, source):
    meeting = services.meeting_create(
        citations=[
            CitationInput(source=source, passage=PASSAGE),
            CitationInput(source=source, passage="289 complaints"),
        ],
        **meeting_data(),
    )
    kept = meeting.citations.get(passage=PASSAGE)
    newcomer = factories.PartnerFactory(name="IOM Cambodia")
    changes = {
        "title": "Minister meets IOM",
        "partners": [newcomer],
        "citations": [
            CitationInput(source=source, passage=PASSAGE),
            CitationInput(source=source, passage="complaints were received"),
        ],
    }
    services.record_update(record=meeting, changes=changes, user=editor)
    meeting.refresh_from_db()
    assert meeting.title == "Minister meets IOM"
    assert list(meeting.partners.all()) == [newcomer]
    assert sorted(meeting.citations.values_list("passage", flat=True)) == [
        "complaints were received",
        PASSAGE,
    ]
    assert meeting.citations.get(passage=PASSAGE).pk == kept.pk
    latest = meeting.history.first()
    assert latest.history_user == editor
    assert [link.partner_id for link in latest.partners.all()] == [newcomer.pk]

    citation_rows = models.Citation.history.count()
    services.record_update(record=meeting, changes={"citations": changes["citations"]})
    assert models.Citation.history.count() == citation_rows


def test_record_update_refuses_a_broken_rule_and_keeps_the_stored_record(editor):
    count = factories.ComplaintCountFactory(count=10)
    with pytest.raises(ValidationError) as refusal:
        services.record_update(record=count, changes={"count": 12, "verified_share": 2})
    assert "Share found true" in str(refusal.value)
    count.refresh_from_db()
    assert count.count == 10


def test_a_commitment_status_cannot_be_set_directly():
    commitment = services.commitment_create(**commitment_data())
    with pytest.raises(ValidationError) as refusal:
        services.record_update(record=commitment, changes={"status": "fulfilled"})
    assert "status" in refusal.value.message_dict
    commitment.refresh_from_db()
    assert commitment.status == models.CommitmentStatus.ANNOUNCED


@pytest.mark.parametrize(
    ("passage", "status"),
    [
        ("we will cooperate", models.CommitmentStatus.IN_PROGRESS),
        ("all done", models.CommitmentStatus.ANNOUNCED),
    ],
)
def test_commitment_add_update_moves_the_status_unless_its_passage_is_not_in_the_source(
    passage, status, editor, source
):
    commitment = services.commitment_create(**commitment_data())
    try:
        services.commitment_add_update(
            commitment=commitment,
            user=editor,
            status=models.CommitmentStatus.IN_PROGRESS,
            source=source,
            passage=passage,
            date=datetime.date(2024, 4, 1),
        )
    except ValidationError as refusal:
        assert list(refusal.message_dict) == ["passage"]
    commitment.refresh_from_db()
    assert commitment.status == status
    updates = models.CommitmentUpdate.history.filter(commitment_id=commitment.pk)
    assert [row.history_user for row in updates] == [editor] * (status != "announced")
    assert commitment.history.first().history_user == (editor if updates else None)


def test_record_delete_is_in_the_history_in_the_users_name(editor):
    topic = factories.TopicFactory()
    pk = topic.pk
    services.record_delete(record=topic, user=editor)
    assert not models.Topic.objects.filter(pk=pk).exists()
    gone = models.Topic.history.get(id=pk, history_type="-")
    assert gone.history_user == editor


def test_the_admin_saves_a_record_and_its_citations_through_the_services(client, monkeypatch):
    user = get_user_model().objects.create_superuser("chief", password="x" * 20)
    client.force_login(user)
    source = factories.SourceFactory(text=TEXT)
    saved = []
    record_save = services.record_save

    def spy(**kwargs):
        saved.append(type(kwargs["record"]).__name__)
        return record_save(**kwargs)

    monkeypatch.setattr(services, "record_save", spy)
    prefix = "cooperation-citation-content_type-object_id"
    response = client.post(
        reverse("admin:cooperation_partner_add"),
        partner_data()
        | {
            "visibility": "public",
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-0-source": source.pk,
            f"{prefix}-0-passage": PASSAGE,
        },
    )
    assert response.status_code == 302
    assert saved == ["Partner", "Citation"]
    partner = models.Partner.objects.get(slug="moi")
    assert partner.citations.get().history.get().history_user == user
