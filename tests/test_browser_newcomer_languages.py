"""Issue 13's "done when", in a real browser: a newcomer switches the dashboard to Khmer (then
French), reads its labels, dates and figures in that language, finds a meeting by a word of it,
and downloads the month's report in that language, whose words read back from the PDF."""

import datetime
import re
import shutil
import subprocess

import pytest
from django.core.management import call_command

from cooperation.models import Partner
from cooperation.reports import services
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KHMER_LETTER = re.compile(r"[\u1780-\u17ff]")
LATIN_LETTER = re.compile(r"[A-Za-z]")
ASCII_DIGIT = re.compile(r"[0-9]")

# What each language's newcomer does and expects to read.
NEWCOMERS = {
    "km": {
        "switch": "ខ្មែរ",
        "language": "ភាសាខ្មែរ",
        "heading": "ទិដ្ឋភាពទូទៅនៃកិច្ចសហប្រតិបត្តិការ",
        "summary": "ក្រសួងមហាផ្ទៃ និងអង្គការអន្តរជាតិសម្រាប់ចំណាកស្រុក បានពិភាក្សាអំពីការប្រយុទ្ធប្រឆាំងនឹងការជួញដូរមនុស្ស",
        "query": "ចំណាកស្រុក",
        "report_words": ["របាយការណ៍ប្រចាំខែ", "វិច្ឆិកា", "ការប្តេជ្ញាចិត្ត"],
    },
    "fr": {
        "switch": "Français",
        "language": "Français",
        "heading": "La coopération en un coup d'œil",
        "summary": "Le ministère de l’Intérieur et l’OIM ont examiné leurs engagements "
        "contre la traite des personnes.",
        "query": "engagement",
        "report_words": ["Rapport mensuel", "novembre 2022", "Engagements"],
    },
}


@pytest.fixture
def newcomers_server(live_server, eager, media):
    """The seed, a meeting recorded in Khmer and one in French, and November 2022's monthly
    reports as the schedule builds them, in each language."""
    call_command("loaddata", "fixtures/seed.json", verbosity=0)
    ministry = Partner.objects.get(slug="ministry-of-interior")
    for language, newcomer in NEWCOMERS.items():
        factories.MeetingFactory(
            title=f"{language}: {newcomer['query']}",
            summary=newcomer["summary"],
            partners=[ministry],
        )
    services.report_request_monthly(today=datetime.date(2022, 12, 1))
    return live_server


def texts(page, selector: str) -> list[str]:
    return [text.strip() for text in page.locator(selector).all_text_contents() if text.strip()]


@pytest.mark.parametrize("language", ["km", "fr"])
def test_a_newcomer_reads_searches_and_downloads_in_their_language(
    page, newcomers_server, language, tmp_path
):
    newcomer = NEWCOMERS[language]
    page.goto(newcomers_server.url + "/")
    page.locator("form.language-switch").get_by_role("button", name=newcomer["switch"]).click()
    page.wait_for_function(f"document.documentElement.lang === '{language}'")
    assert page.get_by_role("heading", level=1).inner_text() == newcomer["heading"]

    labels = texts(page, "header nav a, main h1, main h2, .figure .label, th, label")
    figures = texts(page, ".figure .value, .chart-svg text, time")
    assert labels and figures
    if language == "km":
        assert all(
            KHMER_LETTER.search(label) and not LATIN_LETTER.search(label) for label in labels
        ), labels
        assert all(not ASCII_DIGIT.search(figure) for figure in figures), figures
        assert any(re.search(r"[០-៩]", figure) for figure in figures)
    else:
        assert "nov. 2022" in " ".join(figures) and "Nov 2022" not in " ".join(figures)

    page.locator("#header-q").fill(newcomer["query"])
    page.locator("#header-q").press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    assert page.get_by_role("link", name=f"{language}: {newcomer['query']}").is_visible()

    page.goto(newcomers_server.url + "/reports/")
    row = page.locator("tbody tr").filter(has_text=newcomer["language"])
    with page.expect_download() as download:
        row.first.get_by_role("link", name="PDF").click()
    pdf = tmp_path / "report.pdf"
    download.value.save_as(pdf)
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "pdftotext is missing: `make system-test` installs it"
    text = subprocess.run(
        [pdftotext, "-raw", "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    folded = "".join(text.split()) if language == "km" else " ".join(text.split())
    for word in newcomer["report_words"]:
        assert ("".join(word.split()) if language == "km" else word) in folded, word
