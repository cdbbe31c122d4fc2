"""Sharing by organisation: each partner's staff see what is shared with them, and nothing else.

The cast: the Ministry of Interior owns every record; IOM and the Embassy of France are
partners. A record *shared* with the partners involved shows to the ministry's staff and to
the staff of the partners it names; an *internal* one to the ministry's staff only; a public
one to everyone. Administrators see everything.
"""

import datetime

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from cooperation import models, visibility
from cooperation.models import Membership, ReportAudience, Visibility
from cooperation.reports import services as report_services
from cooperation.reports.periods import Period
from cooperation.roles import ADMINISTRATOR, EDITOR, VIEWER
from tests import factories
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db

PUBLIC, SHARED, INTERNAL = Visibility.PUBLIC, Visibility.SHARED, Visibility.INTERNAL
NOVEMBER_2022 = Period(datetime.date(2022, 11, 1), datetime.date(2022, 11, 30))


def staff_of(partner, username, role=VIEWER):
    """A user who works for `partner`, in a role."""
    return user_with_role(username, role, staff=role != VIEWER, organisations=[partner])


@pytest.fixture
def cast(seed):
    """The seed's ministry, IOM's regional office and France's embassy (the partners of its
    two meetings), and an officer of each."""
    ministry = models.Partner.objects.get(slug="ministry-of-interior")
    iom = models.Partner.objects.get(slug="iom-asia-pacific")
    france = models.Partner.objects.get(slug="embassy-of-france-in-cambodia")
    return {
        "ministry": ministry,
        "iom": iom,
        "france": france,
        "ministry_user": staff_of(ministry, "ministry-officer"),
        "iom_user": staff_of(iom, "iom-officer"),
        "france_user": staff_of(france, "embassy-officer"),
    }


def titles(client, url_name="cooperation:meeting-list"):
    return client.get(reverse(url_name)).content.decode()


def test_newcomer_as_iom_sees_iom_shared_records_not_the_embassys(client, cast):
    """The issue's acceptance: IOM's officer sees IOM's shared meeting and all that is public,
    not the embassy's; the ministry sees both; a visitor sees neither."""
    iom_meeting = models.Meeting.objects.get(partners=cast["iom"])
    france_meeting = models.Meeting.objects.get(partners=cast["france"])
    models.Meeting.objects.filter(pk__in=[iom_meeting.pk, france_meeting.pk]).update(
        visibility=SHARED
    )
    public_milestone = models.Milestone.objects.filter(visibility=PUBLIC).first()

    client.force_login(cast["iom_user"])
    page = titles(client)
    assert iom_meeting.title in page and france_meeting.title not in page
    assert client.get(france_meeting.get_absolute_url()).status_code == 404
    assert client.get(iom_meeting.get_absolute_url()).status_code == 200
    assert public_milestone.title in titles(client, "cooperation:milestone-list")

    client.force_login(cast["france_user"])
    page = titles(client)
    assert france_meeting.title in page and iom_meeting.title not in page

    client.force_login(cast["ministry_user"])
    page = titles(client)
    assert iom_meeting.title in page and france_meeting.title in page

    client.logout()
    page = titles(client)
    assert iom_meeting.title not in page and france_meeting.title not in page


def test_internal_records_show_to_the_owners_staff_only(client, cast):
    meeting = models.Meeting.objects.get(partners=cast["iom"])
    models.Meeting.objects.filter(pk=meeting.pk).update(visibility=INTERNAL)
    for user, shown in [("iom_user", False), ("france_user", False), ("ministry_user", True)]:
        client.force_login(cast[user])
        status = client.get(meeting.get_absolute_url()).status_code
        assert status == (200 if shown else 404), user


def test_the_account_page_names_the_users_organisations(client, cast):
    client.force_login(cast["iom_user"])
    page = client.get(reverse("cooperation:account")).content.decode()
    assert cast["iom"].name in page
    assert cast["france"].name not in page


# The rule, kind by kind -------------------------------------------------------------------

OWNER, INVOLVED, UNINVOLVED, ANONYMOUS, ADMIN = "owner", "involved", "uninvolved", "anon", "admin"
# Who sees a record at each level.
SEES = {
    PUBLIC: {OWNER, INVOLVED, UNINVOLVED, ANONYMOUS, ADMIN},
    SHARED: {OWNER, INVOLVED, ADMIN},
    INTERNAL: {OWNER, ADMIN},
}


def make_record(kind, level, owner, involved):
    """A record of `kind` at `level`, owned by `owner`, involving `involved`."""
    fields = {"visibility": level, "owner": owner}
    if kind == "partner":  # the involved partner's own record
        models.Partner.objects.filter(pk=involved.pk).update(**fields)
        return models.Partner.objects.get(pk=involved.pk)
    if kind == "person":
        return factories.PersonFactory(partner=involved, **fields)
    if kind == "meeting":
        return factories.MeetingFactory(partners=[involved], **fields)
    if kind == "milestone":
        milestone = factories.MilestoneFactory(**fields)
        milestone.partners.add(involved)
        return milestone
    if kind == "commitment by":
        return factories.CommitmentFactory(made_by=involved, **fields)
    if kind == "commitment to":
        commitment = factories.CommitmentFactory(made_by=owner, **fields)
        commitment.made_to.add(involved)
        return commitment
    if kind == "complaintcount":
        return factories.ComplaintCountFactory(received_by=involved, **fields)
    raise AssertionError(kind)


KINDS = [
    "partner",
    "person",
    "meeting",
    "milestone",
    "commitment by",
    "commitment to",
    "complaintcount",
]


@pytest.fixture
def people(db):
    owner_org = factories.PartnerFactory(name="Owning ministry")
    involved_org = factories.PartnerFactory(name="Involved office")
    uninvolved_org = factories.PartnerFactory(name="Uninvolved embassy")
    return {
        "orgs": (owner_org, involved_org),
        OWNER: staff_of(owner_org, "owner-user"),
        INVOLVED: staff_of(involved_org, "involved-user"),
        UNINVOLVED: staff_of(uninvolved_org, "uninvolved-user"),
        ANONYMOUS: None,
        ADMIN: staff_of(uninvolved_org, "admin-user", role=ADMINISTRATOR),
    }


@pytest.mark.parametrize("level", [PUBLIC, SHARED, INTERNAL])
@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_shows_to_exactly_whom_its_level_allows(client, people, kind, level):
    owner_org, involved_org = people["orgs"]
    record = make_record(kind, level, owner_org, involved_org)
    model = type(record)
    for who in (OWNER, INVOLVED, UNINVOLVED, ANONYMOUS, ADMIN):
        user = people[who]
        listed = model.objects.visible_to(user).filter(pk=record.pk).exists()
        expected = who in SEES[level]
        assert listed == expected, (who, "list")
        assert visibility.is_visible(user, type(record).objects.get(pk=record.pk)) == expected
        if kind != "person":  # a person's page is their partner's
            if user is None:
                client.logout()
            else:
                client.force_login(user)
            status = client.get(record.get_absolute_url()).status_code
            assert status == (200 if expected else 404), (who, "page")


def test_a_shared_link_is_masked_for_an_uninvolved_user(client, people):
    """A public commitment made by a partner whose record is shared: the uninvolved user sees
    the commitment, and a dash where the maker would be."""
    owner_org, involved_org = people["orgs"]
    hidden_maker = factories.PartnerFactory(
        name="Quillwort Unit", visibility=SHARED, owner=owner_org
    )
    factories.CommitmentFactory(title="Visible pledge", made_by=hidden_maker)
    client.force_login(people[UNINVOLVED])
    page = client.get(reverse("cooperation:commitment-list")).content.decode()
    assert "Visible pledge" in page and "Quillwort" not in page
    client.force_login(people[OWNER])
    assert "Quillwort" in client.get(reverse("cooperation:commitment-list")).content.decode()


def test_a_shared_record_may_not_lack_an_owner(db):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        factories.MeetingFactory(visibility=SHARED, owner=None)


# Reports: built for an audience, downloaded by those who read as it -------------------------


def test_an_organisations_report_reaches_its_staff_only(client, people):
    owner_org, involved_org = people["orgs"]
    factories.MeetingFactory(
        title="Cardamom consultation",
        visibility=SHARED,
        owner=owner_org,
        partners=[involved_org],
        date=datetime.date(2022, 11, 4),
    )
    report, _ = report_services.report_request(
        period=NOVEMBER_2022, audience=ReportAudience.ORGANISATION, organisation=involved_org
    )
    report = report_services.report_render(report_id=report.pk)
    assert report.status == "ready", report.error
    from tests.test_leaks import text_of

    with report.file.open("rb") as handle:
        assert "Cardamom" in text_of(handle.read(), "application/pdf")
    download = reverse("cooperation:report-download", args=[report.pk])
    for who, allowed in [(INVOLVED, True), (UNINVOLVED, False), (ANONYMOUS, False), (ADMIN, True)]:
        if people[who] is None:
            client.logout()
        else:
            client.force_login(people[who])
        assert client.get(download).status_code == (200 if allowed else 404), who


def test_an_editor_asks_only_for_audiences_they_read_as(client, people):
    owner_org, involved_org = people["orgs"]
    editor = staff_of(involved_org, "involved-editor", role=EDITOR)
    client.force_login(editor)
    page = client.get(reverse("cooperation:report-list")).content.decode()
    request_form = page[page.index("report-request-form") :]
    assert 'value="organisation"' in request_form and 'value="everything"' not in request_form
    response = client.post(
        reverse("cooperation:report-request"), {"month": "2022-11", "audience": "everything"}
    )
    assert response.status_code == 400
    assert not models.Report.objects.filter(audience=ReportAudience.EVERYTHING).exists()
    response = client.post(
        reverse("cooperation:report-request"),
        {"month": "2022-11", "audience": "organisation", "organisation": owner_org.slug},
    )
    assert response.status_code == 400, "an editor reads as their own organisation only"
    response = client.post(
        reverse("cooperation:report-request"),
        {"month": "2022-11", "audience": "organisation", "organisation": involved_org.slug},
    )
    assert response.status_code == 302
    report = models.Report.objects.get(audience=ReportAudience.ORGANISATION)
    assert report.audience_organisation == involved_org


# The admin ---------------------------------------------------------------------------------


def test_editors_change_what_their_organisation_owns_or_is_shared_with(client, people):
    owner_org, involved_org = people["orgs"]
    editor = staff_of(involved_org, "involved-editor", role=EDITOR)
    shared = factories.MeetingFactory(
        title="Shared with the office", visibility=SHARED, owner=owner_org, partners=[involved_org]
    )
    internal = factories.MeetingFactory(
        title="Ministry only", visibility=INTERNAL, owner=owner_org, partners=[involved_org]
    )
    public = factories.MeetingFactory(title="Everyone's", owner=owner_org, partners=[owner_org])
    client.force_login(editor)
    changelist = client.get(reverse("admin:cooperation_meeting_changelist")).content.decode()
    assert "Shared with the office" in changelist and "Ministry only" not in changelist
    change = reverse("admin:cooperation_meeting_change", args=[shared.pk])
    assert 'name="_save"' in client.get(change).content.decode()
    assert client.get(
        reverse("admin:cooperation_meeting_change", args=[internal.pk])
    ).status_code in (
        302,
        404,
    )
    public_page = client.get(reverse("admin:cooperation_meeting_change", args=[public.pk]))
    assert 'name="_save"' not in public_page.content.decode(), "viewable, not editable"


def test_admin_autocomplete_offers_only_partners_the_editor_may_see(client, people):
    owner_org, involved_org = people["orgs"]
    factories.PartnerFactory(name="Secretive Bureau", visibility=INTERNAL, owner=owner_org)
    editor = staff_of(involved_org, "involved-editor", role=EDITOR)
    client.force_login(editor)
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "cooperation", "model_name": "meeting", "field_name": "partners"},
    )
    assert response.status_code == 200
    names = [result["text"] for result in response.json()["results"]]
    assert "Involved office" in names and "Secretive Bureau" not in names


def test_saving_a_shared_meeting_keeps_links_the_editor_cannot_see(client, people):
    owner_org, involved_org = people["orgs"]
    hidden = factories.PartnerFactory(name="Hidden desk", visibility=INTERNAL, owner=owner_org)
    meeting = factories.MeetingFactory(
        visibility=SHARED, owner=owner_org, partners=[involved_org, hidden]
    )
    editor = staff_of(involved_org, "involved-editor", role=EDITOR)
    client.force_login(editor)
    change = reverse("admin:cooperation_meeting_change", args=[meeting.pk])
    form = client.get(change).content.decode()
    assert "Hidden desk" not in form
    data = {
        "title": "Renamed by the office",
        "slug": meeting.slug,
        "visibility": SHARED,
        "location": "",
        "date": "2022-01-01",
        "date_precision": "day",
        "date_inferred": "",
        "date_note": "",
        "partners": [involved_org.pk],
        "summary": "s",
        "language": "en",
        "outcome": "",
        "commitments-TOTAL_FORMS": 0,
        "commitments-INITIAL_FORMS": 0,
        "cooperation-citation-content_type-object_id-TOTAL_FORMS": 0,
        "cooperation-citation-content_type-object_id-INITIAL_FORMS": 0,
    }
    response = client.post(change, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    meeting.refresh_from_db()
    assert meeting.title == "Renamed by the office"
    assert set(meeting.partners.all()) == {involved_org, hidden}
    assert meeting.owner == owner_org


def test_the_change_list_shows_changes_of_visible_records_only(client, people):
    from cooperation import services

    owner_org, involved_org = people["orgs"]
    admin_user = people[ADMIN]
    for title, level in [("Tarragon talks", INTERNAL), ("Fennel forum", SHARED)]:
        meeting = models.Meeting(
            title=title,
            slug=title.lower().replace(" ", "-"),
            visibility=level,
            owner=owner_org,
            date=datetime.date(2022, 1, 1),
            summary="They met.",
        )
        services.record_save(record=meeting, m2m={"partners": [involved_org]}, user=admin_user)
    client.force_login(people[INVOLVED])
    page = client.get(reverse("changes")).content.decode()
    assert "Fennel forum" in page and "Tarragon" not in page
    client.force_login(people[OWNER])
    page = client.get(reverse("changes")).content.decode()
    assert "Fennel forum" in page and "Tarragon talks" in page


# Hypothesis: random records, random levels and partners, the rule on every list -------------


def involved_in(record) -> set[int]:
    """The partners a record names, read plainly from its own fields."""
    if isinstance(record, models.Commitment):
        return {record.made_by_id} | {p.pk for p in record.made_to.all()}
    if isinstance(record, models.ComplaintCount):
        return {record.received_by_id}
    return {p.pk for p in record.partners.all()}


def expected_visible(record, user_orgs: set[int]) -> bool:
    """The rule, written out plainly, for a signed-in user of `user_orgs`."""
    if record.visibility == PUBLIC or record.owner_id in user_orgs:
        return True
    return record.visibility == SHARED and bool(involved_in(record) & user_orgs)


def listed_as(record) -> str:
    """How a record's row reads in its table (a complaint count by its figure)."""
    if isinstance(record, models.ComplaintCount):
        from cooperation.numerals import number

        return f">{number(record.count)}<"
    return f">{record.title}<"


LIST_OF = {
    models.Meeting: "cooperation:meeting-list",
    models.Milestone: "cooperation:milestone-list",
    models.Commitment: "cooperation:commitment-list",
    models.ComplaintCount: "cooperation:complaintcount-list",
}


class RandomRecordsTest(TestCase):
    """Every list page shows exactly the records the rule allows, for users of random
    organisations, whatever mix of levels and partners the records have."""

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        records=st.lists(
            st.tuples(
                st.sampled_from([PUBLIC, SHARED, INTERNAL]),
                st.integers(0, 3),  # owner
                st.lists(st.integers(0, 3), min_size=1, max_size=3, unique=True),  # involved
            ),
            min_size=1,
            max_size=6,
        ),
        member_of=st.sets(st.integers(0, 3), max_size=2),
    )
    def test_every_list_obeys_the_rule(self, records, member_of):
        partners = [factories.PartnerFactory(name=f"Org {n}") for n in range(4)]
        user = factories.UserFactory()
        for n in member_of:
            Membership.objects.create(user=user, partner=partners[n])
        made = []
        for n, (level, owner, involved) in enumerate(records):
            shared = {"visibility": level, "owner": partners[owner]}
            named = [partners[i] for i in involved]
            meeting = factories.MeetingFactory(partners=named, **shared)
            milestone = factories.MilestoneFactory(**shared)
            milestone.partners.set(named)
            commitment = factories.CommitmentFactory(made_by=named[0], **shared)
            commitment.made_to.set(named[1:])
            count = factories.ComplaintCountFactory(
                received_by=named[0], count=900_000 + n, **shared
            )
            made += [meeting, milestone, commitment, count]
        orgs = {partners[n].pk for n in member_of}
        self.client.force_login(user)
        pages = {
            model: self.client.get(reverse(url_name), {"per_page": 100}).content.decode()
            for model, url_name in LIST_OF.items()
        }
        for record in made:
            shown = listed_as(record) in pages[type(record)]
            assert shown == expected_visible(record, orgs), (record, record.visibility, orgs)
