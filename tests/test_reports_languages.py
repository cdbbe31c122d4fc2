"""Reports in English, French and Khmer: asked for in a language, unique per language, shaped
Khmer text with its font embedded, and tagged, archivable PDFs, read back with poppler and qpdf."""

import datetime
import shutil
import subprocess

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from pypdf import PdfReader

from cooperation.models import Report, ReportAudience, ReportStatus
from cooperation.reports import services
from cooperation.reports.periods import month_parse
from cooperation.reports.rendering import needs_shaping, svg_labels_as_html

pytestmark = pytest.mark.django_db

NOVEMBER_2022 = month_parse("2022-11")
# Words each language's monthly report of the seed holds: its kind, its public notice, and a
# word that reaches the PDF through a chart's legend.
# Khmer is compared without white space: it puts none between words, and pdftotext adds some
# between the runs Pango lays out. Its words with a letter drawn before the one it follows (េ,
# the subscript ្រ) read back only through the ActualText the PDF gives them.
WORDS = {
    "en": ["Monthly report", "Public report: public records only", "Commitment"],
    "fr": ["Rapport mensuel", "Rapport public : fiches publiques uniquement", "Engagement"],
    "km": [
        "របាយការណ៍ប្រចាំខែ",
        "ការជួញដូរមនុស្ស",
        "កិច្ចប្រជុំ",
        "វិច្ឆិកា",
        "ការប្តេជ្ញាចិត្ត",
        "របាយការណ៍សាធារណៈ៖ តែកំណត់ត្រាសាធារណៈប៉ុណ្ណោះ",
    ],
}


def read_back(path: str, language: str) -> str:
    """The PDF's text as pdftotext reads it, in reading order, case and spacing folded."""
    text = tool("pdftotext", "-raw", "-enc", "UTF-8", path, "-")
    return "".join(text.split()) if language == "km" else " ".join(text.split()).casefold()


def holds(text: str, word: str, language: str) -> bool:
    return ("".join(word.split()) if language == "km" else word.casefold()) in text


def tool(name: str, *args: str) -> str:
    """Run a poppler or qpdf command; the suite fails, not skips, when it is missing."""
    path = shutil.which(name)
    assert path, f"{name} is missing: `make system-test` installs it"
    result = subprocess.run([path, *args], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def built(seed, eager, media, django_capture_on_commit_callbacks):
    """The seed's public November 2022 report in one language, built; with its file's path."""

    def built(language: str) -> tuple[Report, str]:
        with django_capture_on_commit_callbacks(execute=True):
            report, _queued = services.report_request(period=NOVEMBER_2022, language=language)
        report.refresh_from_db()
        assert report.status == ReportStatus.READY, report.error
        return report, report.file.path

    return built


@pytest.mark.parametrize("language", ["en", "fr", "km"])
def test_a_report_is_written_in_its_language_and_reads_back(built, language):
    report, path = built(language)
    text = read_back(path, language)
    for word in WORDS[language]:
        assert holds(text, word, language), word
    assert report.language == language
    assert f"-{language}-" in report.file.name


def test_khmer_is_set_in_a_khmer_face_embedded_in_the_pdf(built):
    _report, path = built("km")
    fonts = tool("pdffonts", path).splitlines()[2:]
    khmer = [line.split() for line in fonts if "Noto-Sans-Khmer" in line]
    assert khmer, fonts
    assert all(columns[-5:-2] == ["yes", "yes", "yes"] for columns in khmer), khmer  # emb sub uni


def test_english_pdf_embeds_no_khmer_face(built):
    _report, path = built("en")
    assert "Khmer" not in tool("pdffonts", path)


@pytest.mark.parametrize("language", ["en", "fr", "km"])
def test_reports_are_tagged_archivable_and_well_formed_in_every_language(built, language):
    report, path = built(language)
    info = tool("pdfinfo", path)
    assert "Tagged:          yes" in info
    assert f"Title:           {WORDS[language][0]}" in info
    assert "No syntax or stream encoding errors found" in tool("qpdf", "--check", path)

    reader = PdfReader(path)
    root = reader.trailer["/Root"]
    assert root["/Lang"] == language
    assert root["/MarkInfo"]["/Marked"]
    assert "/StructTreeRoot" in root
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="U"' in xmp
    assert 'pdfuaid:part="1"' in xmp
    assert reader.metadata.title


def test_a_charts_khmer_text_leaves_the_svg_for_shaped_html_and_latin_text_stays():
    svg = (
        '<svg viewBox="0 0 400 100" width="400" height="100">'
        '<text x="200" y="50" font-size="12" text-anchor="middle" fill="#222" '
        'font-weight="normal" transform="rotate(-90 200 50)">ការប្តេជ្ញាចិត្ត</text>'
        '<text x="10" y="80" font-size="11" text-anchor="start" fill="#222" '
        'font-weight="bold">Interior ministry</text></svg>'
    )
    kept, labels = svg_labels_as_html(svg, width_mm=100)
    assert "ការប្តេជ្ញាចិត្ត" not in kept and "Interior ministry" in kept
    assert "ការប្តេជ្ញាចិត្ត</span>" in labels and "Interior ministry" not in labels
    assert "left: 50.00%" in labels and "rotate(-90deg)" in labels and "translateX(-50%)" in labels
    assert needs_shaping("ក្រសួង") and not needs_shaping("Réunion à Phnom Penh, 95 %")


# One report per subject and language.


def test_the_same_subject_in_two_languages_is_two_reports_and_asking_again_is_one(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks():
        english, _ = services.report_request(period=NOVEMBER_2022, language="en")
        khmer, _ = services.report_request(period=NOVEMBER_2022, language="km")
        again, queued = services.report_request(period=NOVEMBER_2022, language="km")
    assert english.pk != khmer.pk
    assert again.pk == khmer.pk and not queued
    assert Report.objects.count() == 2


def test_the_database_refuses_a_second_report_of_one_subject_in_one_language():
    fields = {
        "kind": "monthly",
        "period_start": datetime.date(2022, 11, 1),
        "period_end": datetime.date(2022, 11, 30),
        "audience": ReportAudience.PUBLIC,
    }
    Report.objects.create(**fields, language="fr")
    Report.objects.create(**fields, language="km")
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(**fields, language="fr")
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(
            **fields | {"period_start": datetime.date(2022, 10, 1)}, language="de"
        )


def test_a_report_without_a_language_is_in_the_active_one(django_capture_on_commit_callbacks):
    from django.utils import translation

    with translation.override("fr"), django_capture_on_commit_callbacks():
        report, _ = services.report_request(period=NOVEMBER_2022)
    assert report.language == "fr"


def test_an_unknown_language_is_refused_by_the_service():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="not “de”"):
        services.report_request(period=NOVEMBER_2022, language="de")
    assert not Report.objects.exists()


def test_the_monthly_schedule_builds_the_languages_it_is_set_to(
    settings, django_capture_on_commit_callbacks
):
    settings.REPORT_LANGUAGES = ["km", "fr"]
    with django_capture_on_commit_callbacks() as callbacks:
        reports = services.report_request_monthly(today=datetime.date(2022, 12, 1))
    assert {(r.audience, r.language) for r in reports} == {
        ("public", "km"),
        ("everything", "km"),
        ("public", "fr"),
        ("everything", "fr"),
    }
    assert len(callbacks) == 4


# The command line and the form.


@pytest.mark.django_db(transaction=True)
def test_generate_report_takes_a_language(seed, eager, media):
    output = call_command("generate_report", "--period", "2022-11", "--language", "km")
    report = Report.objects.get()
    assert report.language == "km" and report.status == ReportStatus.READY
    assert f"report #{report.pk}" in output
    with pytest.raises(CommandError, match="invalid choice: 'de'"):
        call_command("generate_report", "--period", "2022-11", "--language", "de")


def test_the_report_form_offers_each_language_in_its_own_name_the_pages_one_first(
    editor_client,
):
    page = editor_client.get(reverse("cooperation:report-list"), HTTP_ACCEPT_LANGUAGE="fr")
    html = page.content.decode()
    assert '<select name="language"' in html
    assert '<option value="fr" selected>Français</option>' in html
    assert '<option value="km">ខ្មែរ</option>' in html


def test_the_report_form_asks_in_the_chosen_language_and_refuses_an_unknown_one(
    editor_client, django_capture_on_commit_callbacks
):
    url = reverse("cooperation:report-request")
    refused = editor_client.post(url, {"month": "2022-11", "audience": "public", "language": "de"})
    assert refused.status_code == 400
    assert "Concord writes reports in English, French or Khmer" in refused.content.decode()
    with django_capture_on_commit_callbacks():
        asked = editor_client.post(
            url, {"month": "2022-11", "audience": "public", "language": "km"}
        )
    report = Report.objects.get()
    assert asked.status_code == 302 and report.language == "km"
    detail = editor_client.get(report.get_absolute_url()).content.decode()
    assert "<dt>Language</dt><dd>Khmer</dd>" in detail


def test_the_report_list_says_each_reports_language(editor_client):
    Report.objects.create(
        kind="monthly",
        period_start=datetime.date(2022, 11, 1),
        period_end=datetime.date(2022, 11, 30),
        language="km",
    )
    html = editor_client.get(reverse("cooperation:report-list")).content.decode()
    assert 'data-label="Language"><span class="cell">Khmer</span>' in html


def test_a_visitor_downloads_the_khmer_monthly_report_and_its_words_read_back(
    built, client, tmp_path
):
    report, _path = built("km")
    response = client.get(reverse("cooperation:report-download", args=[report.pk]))
    assert response.status_code == 200
    downloaded = tmp_path / "report.pdf"
    downloaded.write_bytes(b"".join(response.streaming_content))
    text = read_back(str(downloaded), "km")
    assert all(holds(text, word, "km") for word in WORDS["km"])
