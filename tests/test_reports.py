"""Reports: what goes in them for each audience, the PDF itself, the pages and the request form.

Builds here run in-process (Celery eager); tests/test_worker.py runs them on a real worker.
"""

import datetime
import hashlib
import io
import json
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from cooperation.models import (
    CommitmentStatus,
    DatePrecision,
    Inference,
    Partner,
    Report,
    ReportAudience,
    ReportKind,
    ReportStatus,
    Visibility,
)
from cooperation.reports import services
from cooperation.reports.collect import Subject, report_data_collect
from cooperation.reports.periods import Period, month_parse
from cooperation.reports.rendering import LocalFilesOnly, local_url_fetcher
from cooperation.reports.summary import data_hash
from tests import factories
from tests.helpers import assert_pdf_shows, pdf_text

pytestmark = pytest.mark.django_db

NOVEMBER_2022 = month_parse("2022-11")


def collect(period=NOVEMBER_2022, audience=ReportAudience.PUBLIC, **kwargs) -> dict:
    return report_data_collect(subject=Subject(period=period, audience=audience, **kwargs))


# What goes in, for each audience.


def test_internal_meeting_is_in_the_internal_report_and_not_in_the_public_one(build):
    partner = factories.PartnerFactory(name="Ministry of Interior")
    factories.MeetingFactory(
        title="Closed-door briefing on border raids",
        date=datetime.date(2022, 11, 9),
        visibility=Visibility.INTERNAL,
        partners=[partner],
    )
    factories.MeetingFactory(
        title="Open talks on victim shelters", date=datetime.date(2022, 11, 10), partners=[partner]
    )

    internal = build(period=NOVEMBER_2022, audience=ReportAudience.EVERYTHING)
    public = build(period=NOVEMBER_2022, audience=ReportAudience.PUBLIC)

    assert internal.status == public.status == ReportStatus.READY
    assert "Closed-door briefing on border raids" in pdf_text(internal)
    assert "Closed-door briefing on border raids" not in pdf_text(public)
    assert "Open talks on victim shelters" in pdf_text(public)


def test_public_report_leaves_out_what_an_internal_record_adds_to_a_public_one():
    ministry = factories.PartnerFactory(name="Ministry of Interior")
    secret_partner = factories.PartnerFactory(
        name="Undisclosed donor", visibility=Visibility.INTERNAL
    )
    meeting = factories.MeetingFactory(
        title="Public meeting", date=datetime.date(2022, 11, 1), partners=[ministry, secret_partner]
    )
    meeting.participants.add(
        factories.PersonFactory(
            name="Hidden Adviser", partner=ministry, visibility=Visibility.INTERNAL
        )
    )
    factories.CommitmentFactory(
        title="Quiet pledge of funds",
        made_by=ministry,
        meeting=meeting,
        date=datetime.date(2022, 11, 1),
        visibility=Visibility.INTERNAL,
    )
    factories.CommitmentFactory(
        title="Pledge by the undisclosed donor",
        made_by=secret_partner,
        date=datetime.date(2022, 11, 1),
    )
    internal_source = factories.SourceFactory(
        title="Confidential cable", text="Confidential cable. Nobody may read this passage."
    )
    factories.CitationFactory(
        record=meeting, source=internal_source, passage="Nobody may read this passage"
    )
    internal_source.visibility = Visibility.INTERNAL
    internal_source.save()
    factories.ComplaintCountFactory(
        received_by=secret_partner,
        count=4321,
        period_start=datetime.date(2022, 11, 1),
        period_end=datetime.date(2022, 11, 20),
    )

    public = json.dumps(collect(audience=ReportAudience.PUBLIC), ensure_ascii=False)
    internal = json.dumps(collect(audience=ReportAudience.EVERYTHING), ensure_ascii=False)

    for secret in (
        "Undisclosed donor",
        "Hidden Adviser",
        "Quiet pledge of funds",
        "Pledge by the undisclosed donor",
        "Confidential cable",
        "Nobody may read this passage",
        "4321",
    ):
        assert secret not in public, secret
        assert secret in internal, secret
    assert "Public meeting" in public


def test_public_report_leaves_out_status_updates_resting_on_an_internal_source():
    commitment = factories.CommitmentFactory(title="Draft a framework")
    source = factories.SourceFactory(
        visibility=Visibility.INTERNAL, text="Internal memo. The framework is half drafted."
    )
    services_update = {
        "date": datetime.date(2022, 11, 15),
        "status": CommitmentStatus.IN_PROGRESS,
        "source": source,
        "passage": "The framework is half drafted.",
    }
    from cooperation.services import commitment_add_update

    commitment_add_update(commitment=commitment, **services_update)

    public = collect(audience=ReportAudience.PUBLIC)
    internal = collect(audience=ReportAudience.EVERYTHING)

    assert [u["status_code"] for u in internal["updates"]] == ["in_progress"]
    assert public["updates"] == []
    assert "half drafted" not in json.dumps(public)


def test_seed_november_report_counts_the_complaints_reported_that_month(seed):
    data = collect()

    assert data["headline"]["complaints_total"] == 289
    assert data["headline"]["verified_share"] == "about 95%"
    [complaint] = data["complaints"]
    assert complaint["period_display"] == "18 Aug – 18 Sep 2022, year inferred"
    assert complaint["received_by"] == "Interior ministry"
    assert [m["title"] for m in data["meetings"]] == [
        "Sar Kheng meets French ambassador Jacques Pellet"
    ]
    assert data["meetings"][0]["date_display"] == "1 Nov 2022, year inferred"
    assert sum(data["undated"].values()) > 0  # the IOM meeting and others cannot be placed


def test_a_date_known_only_to_the_year_is_listed_as_possibly_in_a_month_not_counted():
    factories.MeetingFactory(
        title="Sometime in 2022",
        date=datetime.date(2022, 1, 1),
        date_precision=DatePrecision.YEAR,
        date_inferred=Inference.YEAR,
    )
    factories.MeetingFactory(title="Known day", date=datetime.date(2022, 11, 3))

    data = collect()

    placements = {m["title"]: m["placement"] for m in data["meetings"]}
    assert placements == {"Sometime in 2022": "maybe", "Known day": "in"}
    assert data["headline"]["meetings"] == 1
    assert (
        collect(period=Period(datetime.date(2022, 1, 1), datetime.date(2022, 12, 31)))["headline"][
            "meetings"
        ]
        == 2
    )


def test_commitment_overdue_at_period_end_is_judged_by_its_status_then():
    commitment = factories.CommitmentFactory(
        title="Open a shelter",
        date=datetime.date(2022, 9, 1),
        target_date=datetime.date(2022, 10, 1),
    )
    source = factories.SourceFactory(text="News. The shelter opened.")
    from cooperation.services import commitment_add_update

    commitment_add_update(
        commitment=commitment,
        date=datetime.date(2022, 12, 5),
        status=CommitmentStatus.FULFILLED,
        source=source,
        passage="The shelter opened.",
    )

    november = collect()
    december = collect(period=month_parse("2022-12"))

    assert [c["title"] for c in november["commitments_overdue"]] == ["Open a shelter"]
    assert november["headline"]["commitments_overdue"] == 1
    assert december["commitments_overdue"] == []
    assert december["headline"]["commitments_overdue"] == 0
    assert december["headline"]["commitments_fulfilled"] == 1


def test_data_hash_is_stable_and_changes_with_the_records():
    meeting = factories.MeetingFactory(date=datetime.date(2022, 11, 2))
    first = data_hash(collect())

    assert data_hash(collect()) == first
    meeting.summary = "They agreed on a hotline."
    meeting.save()
    assert data_hash(collect()) != first


# The PDF.


def test_seed_monthly_pdf_shows_the_figures_the_period_the_share_and_the_partners(seed, build):
    report = build(period=NOVEMBER_2022, audience=ReportAudience.PUBLIC)

    assert_pdf_shows(
        report,
        [
            "November 2022",
            "289",
            "18 Aug – 18 Sep 2022, year inferred",
            "about 95%",
            "Ministry of Interior",
            "Embassy of France in Cambodia",
            "1 Nov 2022, year inferred",
            "Sar Kheng",
            "PUBLIC REPORT",
        ],
    )
    with report.file.open("rb") as handle:
        content = handle.read()
    assert report.sha256 == hashlib.sha256(content).hexdigest()
    assert report.size == len(content)
    assert report.page_count == len(PdfReader(io.BytesIO(content)).pages) > 5
    assert report.data_hash == services.report_data_current_hash(report=report)


def test_seed_dossier_pdf_holds_profile_undated_meeting_and_quotes(seed, build):
    ministry = Partner.objects.get(slug="ministry-of-interior")

    report = build(
        dossier=True,
        partner=ministry,
        audience=ReportAudience.EVERYTHING,
        today=datetime.date(2023, 1, 1),
    )

    assert report.kind == ReportKind.DOSSIER
    assert_pdf_shows(
        report,
        [
            "Partner dossier",
            "Ministry of Interior",
            "Minister of Interior",
            "Sar Kheng meets IOM Asia-Pacific head Sarah Lou Arriola",
            "date unknown",
            "about 95 per cent true",
            "INTERNAL REPORT",
        ],
    )


def test_pdf_embeds_local_fonts_and_never_fetches_from_the_network(seed, build):
    report = build(period=NOVEMBER_2022)
    with report.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    fonts = set()
    for page in reader.pages[:3]:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any("Noto" in name or "DejaVu" in name for name in fonts), fonts

    with pytest.raises(LocalFilesOnly):
        local_url_fetcher("https://example.org/logo.png")
    with pytest.raises(LocalFilesOnly):
        local_url_fetcher("file:///etc/passwd")


# Asking for reports.


def test_asking_twice_returns_the_same_report_and_queues_one_build(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks() as callbacks:
        first, queued_first = services.report_request(period=NOVEMBER_2022)
        second, queued_second = services.report_request(period=NOVEMBER_2022)

    assert first.pk == second.pk
    assert (queued_first, queued_second) == (True, False)
    assert len(callbacks) == 1
    assert Report.objects.count() == 1


def test_a_ready_report_is_built_again_only_when_asked_to_rebuild(build, media):
    report = build(period=NOVEMBER_2022)
    first_file = report.file.name

    again = build(period=NOVEMBER_2022)
    assert again.file.name == first_file

    rebuilt = build(period=NOVEMBER_2022, rebuild=True)
    assert rebuilt.pk == report.pk and rebuilt.status == ReportStatus.READY
    assert rebuilt.file.name != first_file
    assert [p.name for p in media.rglob("*.pdf")] == [rebuilt.file.name.rsplit("/", 1)[-1]]


def test_monthly_period_with_a_partner_is_a_dossier_and_odd_periods_are_custom():
    partner = factories.PartnerFactory()
    assert services.report_kind_for(period=NOVEMBER_2022, partner=None) == ReportKind.MONTHLY
    assert services.report_kind_for(period=NOVEMBER_2022, partner=partner) == ReportKind.DOSSIER
    odd = Period(datetime.date(2022, 8, 18), datetime.date(2022, 9, 18))
    assert services.report_kind_for(period=odd, partner=None) == ReportKind.PERIOD


def test_a_public_report_about_an_internal_partner_is_refused():
    from django.core.exceptions import ValidationError

    partner = factories.PartnerFactory(visibility=Visibility.INTERNAL)
    with pytest.raises(ValidationError, match="may not see"):
        services.report_request(period=NOVEMBER_2022, partner=partner)
    assert not Report.objects.exists()


# Pages.


@pytest.fixture
def public_and_internal(build):
    return (
        build(period=NOVEMBER_2022, audience=ReportAudience.PUBLIC),
        build(
            period=NOVEMBER_2022,
            audience=ReportAudience.ORGANISATION,
            organisation=factories.default_owner(),
        ),
    )


def test_anonymous_visitors_see_and_download_public_reports_only(client, public_and_internal):
    public, internal = public_and_internal

    listing = client.get(reverse("cooperation:report-list")).content.decode()
    assert reverse("cooperation:report-detail", args=[public.pk]) in listing
    assert reverse("cooperation:report-detail", args=[internal.pk]) not in listing
    assert client.get(reverse("cooperation:report-detail", args=[internal.pk])).status_code == 404
    assert client.get(reverse("cooperation:report-download", args=[internal.pk])).status_code == 404

    response = client.get(reverse("cooperation:report-download", args=[public.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="concord-monthly-2022-11-public.pdf"' in response["Content-Disposition"]
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == public.sha256


def test_signed_in_users_see_internal_reports(viewer_client, public_and_internal):
    _public, internal = public_and_internal
    response = viewer_client.get(reverse("cooperation:report-detail", args=[internal.pk]))
    assert response.status_code == 200
    assert "still matches the stored records" in response.content.decode()
    download = viewer_client.get(reverse("cooperation:report-download", args=[internal.pk]))
    assert download.status_code == 200


def test_report_pages_keep_their_query_counts(
    client, viewer_client, public_and_internal, django_assert_max_num_queries
):
    public, _internal = public_and_internal
    with django_assert_max_num_queries(12):
        assert viewer_client.get(reverse("cooperation:report-list")).status_code == 200
    with django_assert_max_num_queries(30):
        assert client.get(reverse("cooperation:report-detail", args=[public.pk])).status_code == 200


def test_report_list_filters_by_audience(viewer_client, public_and_internal):
    _public, internal = public_and_internal
    response = viewer_client.get(reverse("cooperation:report-list"), {"audience": "organisation"})
    assert list(response.context["table"].data) == [internal]


def test_a_queued_report_page_refreshes_until_ready(client):
    report = Report.objects.create(
        kind=ReportKind.MONTHLY, period_start=NOVEMBER_2022.start, period_end=NOVEMBER_2022.end
    )
    page = client.get(reverse("cooperation:report-detail", args=[report.pk])).content.decode()
    assert 'http-equiv="refresh"' in page
    assert client.get(reverse("cooperation:report-download", args=[report.pk])).status_code == 404


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"month": "2022-13"}, "2022-13 does not exist"),
        ({"month": "November"}, "is not a month"),
        (
            {"period_start": "2022-09-18", "period_end": "2022-08-18"},
            "cannot end (2022-08-18) before it starts (2022-09-18)",
        ),
        ({"month": "2022-11", "partner": "atlantis"}, "there is no partner “atlantis”"),
        ({}, "give a month, or a start and an end"),
        ({"period_start": "2022-09-18"}, "give both a start and an end"),
    ],
)
def test_request_form_refuses_bad_input_with_a_clear_message(editor_client, fields, message):
    response = editor_client.post(
        reverse("cooperation:report-request"), {"audience": "public", **fields}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Report.objects.exists()


def test_editor_asks_for_a_report_and_lands_on_it_ready(
    editor_client, build, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            reverse("cooperation:report-request"),
            {
                "month": "2022-11",
                "audience": "organisation",
                "organisation": factories.OWNER_SLUG,
            },
        )
    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == report.get_absolute_url()
    assert report.status == ReportStatus.READY
    assert report.requested_by.username == "editor"


def test_viewers_cannot_ask_for_reports(viewer_client):
    response = viewer_client.post(
        reverse("cooperation:report-request"), {"month": "2022-11", "audience": "public"}
    )
    assert response.status_code == 403
    assert not Report.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_dossier_button_gives_visitors_the_public_dossier_of_a_public_partner(client, eager, media):
    # Transactional, so the build runs when the request commits, as it does in production.
    partner = factories.PartnerFactory(name="Ministry of Interior", slug="ministry-of-interior")
    hidden = factories.PartnerFactory(visibility=Visibility.INTERNAL)

    response = client.post(reverse("cooperation:report-dossier", args=[partner.slug]))

    report = Report.objects.get()
    assert (report.kind, report.audience, report.partner) == (
        ReportKind.DOSSIER,
        Visibility.PUBLIC,
        partner,
    )
    assert response["Location"] == reverse("cooperation:report-download", args=[report.pk])
    assert client.post(reverse("cooperation:report-dossier", args=[hidden.slug])).status_code == 404
    client.post(reverse("cooperation:report-dossier", args=[partner.slug]))
    assert Report.objects.count() == 1


def test_a_failed_report_page_says_why_to_everyone_and_the_technical_error_to_staff_only(
    viewer_client, admin_client
):
    from django.test import Client

    report = Report.objects.create(
        kind=ReportKind.MONTHLY,
        period_start=NOVEMBER_2022.start,
        period_end=NOVEMBER_2022.end,
        status=ReportStatus.FAILED,
        error="The report could not be built because of an error in Concord.",
        error_detail="Traceback …\nOSError: [Errno 28] No space left on device",
    )
    url = reverse("cooperation:report-detail", args=[report.pk])
    for reader in (Client(), viewer_client):
        page = reader.get(url).content.decode()
        assert "Building this report failed." in page
        assert "because of an error in Concord" in page
        assert "No space left" not in page and "Technical error" not in page
    page = admin_client.get(url).content.decode()
    assert "Technical error (shown to administrators only)" in page
    assert "OSError: [Errno 28] No space left on device" in page


def test_every_pdf_string_goes_through_translation():
    """Templates under templates/reports/ hold no bare English sentence outside a translate tag."""
    from pathlib import Path

    from django.conf import settings

    for path in (Path(settings.BASE_DIR) / "templates" / "reports").rglob("*.html"):
        text = re.sub(
            r"{% *blocktranslate.*?endblocktranslate *%}", " ", path.read_text(), flags=re.S
        )
        text = re.sub(r"{%.*?%}|{{.*?}}|<[^>]+>", " ", text, flags=re.S)
        words = re.findall(r"[A-Za-z]{3,}", text)
        assert not words, f"{path.name}: untranslated text {words[:5]}"


def test_long_sections_list_their_first_rows_and_count_the_rest(seed, build, monkeypatch):
    from cooperation.reports import rendering

    monkeypatch.setattr(rendering, "LISTED_ROWS", 1)
    report = build(period=NOVEMBER_2022, audience=ReportAudience.PUBLIC)
    text = pdf_text(report)
    # November 2022 made three commitments: one is listed, two are counted.
    assert "And 2 more not listed here" in text
    # The headline still counts all three.
    assert re.search(r"\b3\s*commitments made", text, re.IGNORECASE)


def test_listed_keeps_the_first_rows_and_counts_the_others():
    from cooperation.reports.rendering import Listed

    rows = Listed(range(5), 2)
    assert list(rows) == [0, 1]
    assert rows.more == 3
    assert Listed([1], 2).more == 0


def test_report_charts_add_up_shared_periods_and_keep_the_latest():
    from cooperation.reports.rendering import CHART_ROWS, _complaint_bars

    rows = [{"label": f"period {n}", "count": 10, "verified": None} for n in range(CHART_ROWS + 3)]
    rows.append({"label": f"period {CHART_ROWS + 2}", "count": 5, "verified": 4})
    bars, earlier = _complaint_bars(rows)
    assert earlier == 3
    assert len(bars) == CHART_ROWS
    assert bars[-1] == (f"period {CHART_ROWS + 2}", 15, 4)
