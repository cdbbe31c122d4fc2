"""The partner brief: "Since our last meeting" on the profile, and its PDF."""

import datetime
import subprocess

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cooperation import visibility
from cooperation.models import (
    CommitmentStatus,
    CommitmentUpdate,
    Partner,
    Report,
    ReportAudience,
    ReportKind,
    ReportStatus,
    Visibility,
)
from cooperation.reports import services
from cooperation.selectors.brief import LISTED, partner_brief
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 1)
BEFORE = datetime.date(2024, 3, 1)
MEETING = datetime.date(2024, 6, 1)
AFTER = datetime.date(2024, 9, 1)


def pdf_text(path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdf_pages(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(
        next(line for line in info.stdout.splitlines() if line.startswith("Pages:")).split()[1]
    )


def update(commitment, status, day, source):
    return CommitmentUpdate.objects.create(
        commitment=commitment, status=status, date=day, source=source, passage=source.text[:20]
    )


@pytest.fixture
def story(db):
    """A partner with records before and after its last meeting, and an internal record of
    another organisation after it."""
    partner = factories.PartnerFactory(name="Border Police", slug="border-police")
    other = factories.PartnerFactory(name="Embassy of Somewhere", slug="embassy")
    stranger = factories.PartnerFactory(name="Stranger organisation", slug="stranger")
    source = factories.SourceFactory(title="Press release", text="The minister said we will act.")
    factories.MeetingFactory(title="Early talks", partners=[partner, other], date=BEFORE)
    last = factories.MeetingFactory(
        title="Talks on border checks", partners=[partner, other], date=MEETING
    )
    factories.MeetingFactory(title="Planned summit", partners=[partner], date=TODAY.replace(2030))
    old = factories.CommitmentFactory(title="Old pledge", made_by=partner, date=BEFORE)
    update(old, CommitmentStatus.ANNOUNCED, BEFORE, source)
    update(old, CommitmentStatus.IN_PROGRESS, BEFORE + datetime.timedelta(days=10), source)
    update(old, CommitmentStatus.FULFILLED, AFTER, source)
    received = factories.CommitmentFactory(
        title="Train border officers",
        made_by=other,
        date=AFTER,
        target_date=TODAY - datetime.timedelta(days=5),
    )
    received.made_to.add(partner)
    update(received, CommitmentStatus.ANNOUNCED, AFTER, source)
    factories.CommitmentFactory(
        title="Share the watch list",
        made_by=partner,
        date=AFTER,
        target_date=TODAY + datetime.timedelta(days=10),
    )
    factories.CommitmentFactory(
        title="Quasarine pledge",
        made_by=partner,
        date=AFTER,
        visibility=Visibility.INTERNAL,
        owner=stranger,
        target_date=TODAY - datetime.timedelta(days=3),
    )
    factories.ComplaintCountFactory(
        received_by=partner, period_start=BEFORE, period_end=BEFORE + datetime.timedelta(30)
    )
    factories.ComplaintCountFactory(
        received_by=partner,
        period_start=AFTER,
        period_end=AFTER + datetime.timedelta(30),
        count=250,
    )
    factories.ComplaintCountFactory(
        received_by=partner,
        period_start=AFTER,
        period_end=AFTER + datetime.timedelta(60),
        count=4,
    )
    before = factories.MilestoneFactory(title="Old operation", date=BEFORE)
    after = factories.MilestoneFactory(title="Border operation", date=AFTER)
    secret = factories.MilestoneFactory(
        title="Nebulosa raid", date=AFTER, visibility=Visibility.INTERNAL, owner=stranger
    )
    for milestone in (before, after, secret):
        milestone.partners.add(partner)
    person = factories.PersonFactory(name="Chief Dara", partner=partner)
    factories.CitationFactory(
        record=last, source=source, passage="we will act", quoted_person=person
    )
    factories.CitationFactory(
        record=factories.MeetingFactory(partners=[partner], date=BEFORE),
        source=source,
        passage="The minister said",
        quoted_person=person,
    )
    return partner


def titles(section):
    return [str(row) for row in section.rows]


def test_the_seed_ministry_brief_starts_at_its_meeting_with_the_french_ambassador(seed):
    ministry = Partner.objects.get(slug="ministry-of-interior")
    brief = partner_brief(viewer=None, partner=ministry, today=TODAY)
    assert brief.last_meeting.title == "Sar Kheng meets French ambassador Jacques Pellet"
    assert brief.since == datetime.date(2022, 11, 1)
    # The undated meeting with IOM cannot be placed in time: it is not the last one.
    new = titles(brief.new_commitments)
    assert any(t.startswith("Begin talks to set priorities") for t in new)
    assert any(t.startswith("Support establishing a formal mechanism") for t in new)
    assert brief.status_changes.total == 0  # announcing a commitment is not a change
    assert brief.milestones.total == 0  # the Preah Sihanouk operations came before
    assert {q.quoted_person.name for q in brief.quotes.rows} == {"Sar Kheng"}
    assert brief.quotes.total == 2
    assert brief.open_total == 4


def test_a_seed_partner_never_met_gets_its_whole_record(seed):
    france = Partner.objects.get(slug="france")
    brief = partner_brief(viewer=None, partner=france, today=TODAY)
    assert brief.last_meeting is None and brief.whole_record
    assert [t[:31] for t in titles(brief.new_commitments)] == ["Support establishing a formal m"]


def test_the_brief_holds_what_came_after_the_last_meeting_only(story):
    brief = partner_brief(viewer=None, partner=story, today=TODAY)
    assert brief.last_meeting.title == "Talks on border checks"  # not the planned one
    assert [u.commitment.title for u in brief.status_changes.rows] == ["Old pledge"]
    assert brief.status_changes.rows[0].status == CommitmentStatus.FULFILLED
    assert sorted(titles(brief.new_commitments)) == [
        "Share the watch list",
        "Train border officers",
    ]
    assert [c.count for c in brief.complaint_counts.rows] == [4, 250]
    assert titles(brief.milestones) == ["Border operation"]
    assert [q.passage for q in brief.quotes.rows] == ["we will act"]
    assert titles(brief.overdue) == ["Train border officers"]
    assert titles(brief.due_soon) == ["Share the watch list"]


def test_an_internal_record_of_another_organisation_never_shows(story, viewer):
    for reader in (None, viewer):
        brief = partner_brief(viewer=reader, partner=story, today=TODAY)
        every = [*titles(brief.new_commitments), *titles(brief.overdue), *titles(brief.milestones)]
        assert "Quasarine pledge" not in every and "Nebulosa raid" not in every
    everything = partner_brief(
        viewer=visibility.audience_viewer(ReportAudience.EVERYTHING), partner=story, today=TODAY
    )
    assert "Quasarine pledge" in titles(everything.new_commitments)


def test_anonymous_readers_see_small_public_figures_as_fewer_than_the_threshold(story, viewer):
    anonymous = partner_brief(viewer=None, partner=story, today=TODAY)
    assert [c.count_hidden for c in anonymous.complaint_counts.rows] == [True, False]
    signed_in = partner_brief(viewer=viewer, partner=story, today=TODAY)
    assert not any(c.count_hidden for c in signed_in.complaint_counts.rows)


def test_an_internal_last_meeting_is_the_last_only_for_those_who_see_it(story, viewer):
    factories.MeetingFactory(
        title="Zephyrine briefing",
        partners=[story],
        date=AFTER,
        visibility=Visibility.INTERNAL,
    )
    assert partner_brief(viewer=None, partner=story, today=TODAY).since == MEETING
    assert partner_brief(viewer=viewer, partner=story, today=TODAY).since == AFTER


def test_the_profile_shows_since_our_last_meeting(client, story):
    page = client.get(story.get_absolute_url()).content.decode()
    assert "Since our last meeting" in page
    assert "Talks on border checks" in page
    assert "Download the brief (PDF)" in page
    assert "Train border officers" in page
    assert "fewer than 11 complaints" in page
    assert "Quasarine" not in page and "Nebulosa" not in page


def test_the_profile_says_and_n_more_linking_to_the_table(client, story):
    for n in range(LISTED + 3):
        factories.CommitmentFactory(title=f"Extra pledge {n}", made_by=story, date=AFTER)
    page = client.get(story.get_absolute_url()).content.decode()
    assert "And 5 more (13 in all)" in page
    assert "/commitments/?partner=border-police&amp;date_from=2024-06-01" in page


def profile_queries(client, partner) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(partner.get_absolute_url()).status_code == 200
    return len(queries)


def brief_queries(partner) -> int:
    with CaptureQueriesContext(connection) as queries:
        partner_brief(viewer=None, partner=partner, today=TODAY)
    return len(queries)


def test_the_profile_costs_the_same_queries_however_much_happened(client, story):
    few, page = brief_queries(story), profile_queries(client, story)
    source = factories.SourceFactory()
    person = factories.PersonFactory(partner=story)
    for n in range(30):
        commitment = factories.CommitmentFactory(
            made_by=story, date=AFTER, target_date=TODAY - datetime.timedelta(days=n + 1)
        )
        update(commitment, CommitmentStatus.STALLED, AFTER, source)
        factories.ComplaintCountFactory(received_by=story, period_start=AFTER, period_end=AFTER)
        milestone = factories.MilestoneFactory(date=AFTER)
        milestone.partners.add(story)
        factories.CitationFactory(
            record=milestone, source=source, passage="The ministry met", quoted_person=person
        )
    assert brief_queries(story) == few
    # The profile's own timeline loads only the kinds of entry its page shows: at most as many.
    assert profile_queries(client, story) <= page


def build_brief(client, partner):
    response = client.post(reverse("cooperation:report-brief", args=[partner.slug]))
    assert response.status_code == 302, response
    return response


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager", "media")
def test_anonymous_downloads_a_public_brief_built_by_the_report_machinery(client, story, tmp_path):
    response = build_brief(client, story)
    report = Report.objects.get(kind=ReportKind.BRIEF)
    assert response.url == reverse("cooperation:report-download", args=[report.pk])
    assert report.status == ReportStatus.READY
    assert report.audience == ReportAudience.PUBLIC
    assert report.period_start == MEETING
    download = client.get(response.url)
    path = tmp_path / "brief.pdf"
    path.write_bytes(b"".join(download.streaming_content))
    text = pdf_text(path)
    assert "Border Police" in text and "Since our last meeting" in text
    assert "Talks on border checks" in text and "Train border officers" in text
    assert "fewer than 11" in text
    assert "Quasarine" not in text and "Nebulosa" not in text
    assert 1 <= pdf_pages(path) <= 2
    build_brief(client, story)  # asked again the same day: the same report
    assert Report.objects.filter(kind=ReportKind.BRIEF).count() == 1


@pytest.mark.usefixtures("eager", "media")
def test_a_signed_in_reader_gets_their_organisations_brief(
    viewer_client, story, viewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = build_brief(viewer_client, story)
    assert response.url == Report.objects.get().get_absolute_url()  # watched as it builds
    assert viewer_client.get(response.url).status_code == 200
    report = Report.objects.get(kind=ReportKind.BRIEF)
    assert report.audience == ReportAudience.ORGANISATION
    assert report.requested_by == viewer
    assert report.page_count in (1, 2)


@pytest.mark.usefixtures("eager", "media")
def test_a_full_brief_still_fits_two_pages(story, django_capture_on_commit_callbacks):
    source = factories.SourceFactory(text="A long statement. " * 40)
    person = factories.PersonFactory(partner=story, role="Deputy director of border checks")
    long = "Establish joint patrols and a shared reporting line along the northern border " * 2
    for n in range(LISTED + 4):
        day = AFTER + datetime.timedelta(days=n)
        commitment = factories.CommitmentFactory(
            title=f"{long} {n}",
            made_by=story,
            date=day,
            target_date=TODAY - datetime.timedelta(n + 1),
        )
        update(commitment, CommitmentStatus.ANNOUNCED, day, source)
        update(commitment, CommitmentStatus.STALLED, day + datetime.timedelta(days=2), source)
        factories.CommitmentFactory(
            title=f"Due {long} {n}",
            made_by=story,
            date=day,
            target_date=TODAY + datetime.timedelta(n),
        )
        factories.ComplaintCountFactory(
            received_by=story, period_start=day, period_end=day, count=99
        )
        milestone = factories.MilestoneFactory(
            title=f"Operation on the border number {n}", date=day
        )
        milestone.partners.add(story)
        factories.CitationFactory(
            record=milestone, source=source, passage=source.text[:300], quoted_person=person
        )
    with django_capture_on_commit_callbacks(execute=True):
        report, _ = services.report_request_brief(
            partner=story, audience=ReportAudience.EVERYTHING, today=TODAY
        )
    report.refresh_from_db()
    assert report.status == ReportStatus.READY, report.error_detail
    text = pdf_text(report.file.path)
    assert "And 8 more (13 in all)" in text  # the status changes: five of them printed
    assert report.page_count <= 2


@pytest.mark.usefixtures("eager", "media")
def test_the_brief_is_written_in_the_reports_language(seed, django_capture_on_commit_callbacks):
    ministry = Partner.objects.get(slug="ministry-of-interior")
    with django_capture_on_commit_callbacks(execute=True):
        report, _ = services.report_request_brief(
            partner=ministry, audience=ReportAudience.PUBLIC, language="fr", today=TODAY
        )
    report.refresh_from_db()
    assert report.status == ReportStatus.READY, report.error_detail
    assert report.language == "fr"
    assert report.kind == ReportKind.BRIEF and report.period_start == datetime.date(2022, 11, 1)
    assert report.page_count == 1
    text = pdf_text(report.file.path)
    assert "Sar Kheng" in text


@pytest.mark.parametrize(
    "path",
    [
        "/reports/brief/no-such-partner/",
        "/reports/brief/obsidian/",
        "/reports/brief/%00/",
        "/reports/brief/" + "a" * 5000 + "/",
        "/reports/brief/border-police%27%20OR%201=1/",
    ],
)
def test_hostile_brief_requests_are_refused_cleanly(client, story, path):
    factories.PartnerFactory(name="Obsidian unit", slug="obsidian", visibility=Visibility.INTERNAL)
    response = client.post(path, {"audience": "everything"})
    assert response.status_code == 404
    assert not Report.objects.exists()


def test_the_brief_button_only_posts(client, story):
    response = client.get(reverse("cooperation:report-brief", args=[story.slug]))
    assert response.status_code == 405


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager", "media")
def test_an_anonymous_visitor_cannot_ask_for_a_wider_audience(client, story):
    client.post(
        reverse("cooperation:report-brief", args=[story.slug]),
        {"audience": "everything", "organisation": "stranger", "language": "xx"},
    )
    report = Report.objects.get(kind=ReportKind.BRIEF)
    assert report.audience == ReportAudience.PUBLIC
    assert report.audience_organisation is None


@pytest.mark.usefixtures("eager", "media")
def test_generate_report_builds_a_brief(seed, django_capture_on_commit_callbacks):
    from django.core.management import call_command

    with django_capture_on_commit_callbacks(execute=True):
        call_command("generate_report", "--kind", "brief", "--partner", "ministry-of-interior")
    report = Report.objects.get(kind=ReportKind.BRIEF)
    assert report.period_start == datetime.date(2022, 11, 1)
    assert report.partner.slug == "ministry-of-interior"


@pytest.mark.parametrize(
    "data, field",
    [
        ({"kind": "brief"}, "partner"),
        ({"kind": "brief", "partner": "border-police", "month": "2024-09"}, "__all__"),
        ({"kind": "dossier'; DROP TABLE", "partner": "border-police"}, "kind"),
    ],
)
def test_the_request_form_refuses_a_brief_it_cannot_build(story, data, field):
    from cooperation.reports.forms import ReportRequestForm

    form = ReportRequestForm(data={"audience": "public", **data})
    assert not form.is_valid()
    assert field in form.errors
