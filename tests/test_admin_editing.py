"""Recording in one go: a commitment complete from the meeting's form, and a new record begun
from passages chosen on a source's page opening with them cited and what they name suggested."""

from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from cooperation import models
from tests import factories
from tests.helpers import CITATIONS, management

pytestmark = pytest.mark.django_db

TEXT = (
    "Minister of Interior Sar Kheng met with Sarah Lou Arriola of the IOM Asia-Pacific region "
    "on human trafficking and border control.\n"
    "Sar Kheng pledged to continue cooperation with the IOM against human trafficking.\n"
    "“The IOM appreciates the efforts,” she said."
)


@pytest.fixture
def world(db):
    source = factories.SourceFactory(title="IOM head meets the minister", text=TEXT)
    ministry = factories.PartnerFactory(name="Ministry of Interior", short_name="Interior")
    iom = factories.PartnerFactory(name="IOM Asia-Pacific region", short_name="IOM Asia-Pacific")
    elsewhere = factories.PartnerFactory(name="Unrelated partner", short_name="Nobody")
    minister = factories.PersonFactory(name="Sar Kheng", partner=ministry)
    arriola = factories.PersonFactory(name="Sarah Lou Arriola", partner=iom)
    trafficking = factories.TopicFactory(name="Human trafficking")
    border = factories.TopicFactory(name="Border control")
    factories.TopicFactory(name="Cybercrime")
    return {
        "source": source,
        "ministry": ministry,
        "iom": iom,
        "elsewhere": elsewhere,
        "minister": minister,
        "arriola": arriola,
        "topics": [trafficking, border],
    }


@pytest.fixture
def chief(client, db):
    user = get_user_model().objects.create_superuser("chief", password="x" * 20)
    client.force_login(user)
    return client


def meeting_data(world, **extra):
    return {
        "title": "Sar Kheng meets Arriola",
        "slug": "sar-kheng-meets-arriola",
        "visibility": "public",
        "location": "",
        "date": "2022-11-01",
        "date_precision": "day",
        "date_inferred": "",
        "date_note": "",
        "partners": [world["ministry"].pk, world["iom"].pk],
        "participants": [world["minister"].pk, world["arriola"].pk],
        "topics": [topic.pk for topic in world["topics"]],
        "summary": "They met.",
        "outcome": "",
        "language": "en",
        **management(CITATIONS, 0),
        **management("commitments", 1),
        "commitments-0-title": "Continue cooperation with the IOM",
        "commitments-0-kind": "pledge",
        "commitments-0-description": "Against human trafficking.",
        "commitments-0-made_by": world["ministry"].pk,
        "commitments-0-made_to": [world["iom"].pk],
        "commitments-0-target_date": "2023-12-31",
        "commitments-0-date": "",
        "commitments-0-date_precision": "day",
        "commitments-0-date_inferred": "",
        "commitments-0-visibility": "public",
        "commitments-0-first_status": "in_progress",
        "commitments-0-cite_source": world["source"].pk,
        "commitments-0-cite_passage": "Sar Kheng pledged to continue cooperation with the IOM",
        **extra,
    }


def test_a_commitment_made_at_a_meeting_is_complete_from_the_meetings_form(chief, world):
    response = chief.post(reverse("admin:cooperation_meeting_add"), meeting_data(world))
    assert response.status_code == 302, response.context["errors"]
    commitment = models.Commitment.objects.get(title="Continue cooperation with the IOM")
    assert commitment.description == "Against human trafficking."
    assert list(commitment.made_to.all()) == [world["iom"]]
    assert str(commitment.target_date) == "2023-12-31"
    # Left undated, it takes the meeting's date.
    assert str(commitment.date) == "2022-11-01" and commitment.date_precision == "day"
    citation = commitment.citations.get()
    assert citation.passage == "Sar Kheng pledged to continue cooperation with the IOM"
    # The first status is an entry of its history, resting on the same passage.
    assert commitment.status == "in_progress"
    update = commitment.updates.get()
    assert update.passage == citation.passage and update.source == world["source"]


def test_a_commitment_row_with_a_passage_not_in_the_source_is_refused_on_its_field(chief, world):
    data = meeting_data(world, **{"commitments-0-cite_passage": "Sar Kheng promised nothing"})
    response = chief.post(reverse("admin:cooperation_meeting_add"), data)
    assert response.status_code == 200
    row = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert "cite_passage" in row.errors
    assert not models.Meeting.objects.exists()


def test_a_status_beyond_announced_needs_its_passage(chief, world):
    data = meeting_data(
        world, **{"commitments-0-cite_passage": "", "commitments-0-cite_source": ""}
    )
    response = chief.post(reverse("admin:cooperation_meeting_add"), data)
    assert response.status_code == 200
    row = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert "first_status" in row.errors
    assert not models.Commitment.objects.exists()


def test_a_commitment_row_without_a_status_or_passage_stands_announced(chief, world):
    data = meeting_data(
        world,
        **{
            "commitments-0-cite_passage": "",
            "commitments-0-cite_source": "",
            "commitments-0-first_status": "",
        },
    )
    assert chief.post(reverse("admin:cooperation_meeting_add"), data).status_code == 302
    commitment = models.Commitment.objects.get()
    assert commitment.status == "announced" and not commitment.updates.exists()


def cite_url(model, world, **passages):
    query = urlencode({"cite_source": world["source"].pk, **passages}, doseq=True)
    return reverse(f"admin:cooperation_{model}_add") + "?" + query


def test_a_meeting_begun_from_passages_opens_with_them_cited(chief, world):
    url = cite_url(
        "meeting",
        world,
        cite=[TEXT.splitlines()[0]],
        cite_quote=["“The IOM appreciates the efforts,” she said."],
        cite_commitment=["Sar Kheng pledged to continue cooperation with the IOM"],
    )
    response = chief.get(url)
    assert response.status_code == 200
    citations = next(
        f for f in response.context["inline_admin_formsets"] if f.formset.model is models.Citation
    ).formset
    assert [form.initial.get("passage") for form in citations.forms] == [
        TEXT.splitlines()[0],
        "“The IOM appreciates the efforts,” she said.",
    ]
    commitments = next(
        f for f in response.context["inline_admin_formsets"] if f.formset.model is models.Commitment
    ).formset
    assert [form.initial.get("cite_passage") for form in commitments.forms] == [
        "Sar Kheng pledged to continue cooperation with the IOM"
    ]
    # Made by the organisation of the person who pledged.
    assert commitments.forms[0].initial["made_by"] == world["ministry"].pk
    form = response.context["adminform"].form
    # Suggested from what the passages name: the people, their organisations, the topics.
    assert set(form.initial["participants"]) == {world["minister"].pk, world["arriola"].pk}
    assert set(form.initial["partners"]) == {world["ministry"].pk, world["iom"].pk}
    assert set(form.initial["topics"]) == {topic.pk for topic in world["topics"]}
    body = response.content.decode()
    assert "Sar Kheng pledged to continue cooperation with the IOM" in body


def test_a_passage_edited_into_the_link_is_not_prefilled(chief, world):
    response = chief.get(cite_url("meeting", world, cite=["Words the source never had."]))
    assert response.status_code == 200
    citations = next(
        f for f in response.context["inline_admin_formsets"] if f.formset.model is models.Citation
    ).formset
    assert citations.forms == []
    assert "partners" not in response.context["adminform"].form.initial


@pytest.mark.parametrize("source", ["", "x", "99999999", "-1", "1" * 40])
def test_a_hostile_source_parameter_opens_an_empty_form(chief, world, source):
    url = (
        reverse("admin:cooperation_milestone_add")
        + "?"
        + urlencode({"cite_source": source, "cite": "Sar Kheng"})
    )
    assert chief.get(url).status_code == 200


def test_a_source_the_editor_may_not_see_is_not_prefilled(client, world):
    from django.contrib.auth.models import Group

    from cooperation.roles import EDITOR

    hidden = factories.SourceFactory(
        text="Secret words.", visibility="internal", owner=world["elsewhere"]
    )
    editor = factories.UserFactory(username="plain-editor")
    editor.groups.add(Group.objects.get(name=EDITOR))
    models.Membership.objects.create(user=editor, partner=world["ministry"])
    client.force_login(editor)
    url = (
        reverse("admin:cooperation_meeting_add")
        + "?"
        + urlencode({"cite_source": hidden.pk, "cite": "Secret words."})
    )
    response = client.get(url)
    assert response.status_code == 200
    assert "Secret words." not in response.content.decode()


def test_other_kinds_take_commitment_passages_as_citations(chief, world):
    response = chief.get(
        cite_url(
            "milestone",
            world,
            cite_commitment=["Sar Kheng pledged to continue cooperation with the IOM"],
        )
    )
    citations = next(
        f for f in response.context["inline_admin_formsets"] if f.formset.model is models.Citation
    ).formset
    assert [form.initial.get("passage") for form in citations.forms] == [
        "Sar Kheng pledged to continue cooperation with the IOM"
    ]
