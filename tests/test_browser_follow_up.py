"""Issue 14's "done when", in a real browser: a signed-in liaison officer follows the Ministry
of Interior, hears of its commitment's change in a digest read back from a real SMTP server,
opens the brief before the next meeting and downloads it as a PDF whose words read back, and
sees the plan-coverage page; an anonymous visitor sees a small public count only as "fewer
than 11"."""

import datetime
import re
import shutil
import subprocess

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone

from cooperation import digests
from cooperation.models import (
    Commitment,
    CommitmentStatus,
    DigestFrequency,
    Membership,
    Partner,
    Preferences,
)
from cooperation.roles import VIEWER, roles_sync
from cooperation.services.commitments import commitment_add_update
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def follow_up_server(live_server, eager, media, settings):
    call_command("loaddata", "fixtures/seed.json", verbosity=0)
    settings.SITE_URL = live_server.url
    roles_sync()  # transactional tests empty the tables, the migration's groups with them
    ministry = Partner.objects.get(slug="ministry-of-interior")
    user = factories.UserFactory(username="liaison", email="liaison@example.org")
    user.groups.add(Group.objects.get(name=VIEWER))
    Membership.objects.create(user=user, partner=ministry)
    Preferences.objects.create(user=user, digest=DigestFrequency.DAILY)
    factories.ComplaintCountFactory(received_by=ministry, count=7, origin="Zyxwv province")
    return live_server


def pdf_text(path) -> str:
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "pdftotext is missing: `make system-test` installs it"
    return subprocess.run(
        [pdftotext, "-raw", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_a_liaison_officer_follows_hears_briefs_and_sees_coverage(
    page, follow_up_server, smtp_server, tmp_path
):
    url = follow_up_server.url
    page.goto(url + "/accounts/login/")
    page.fill("#id_username", "liaison")
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(url + "/")

    page.goto(url + "/partners/ministry-of-interior/")
    page.get_by_role("button", name="Follow", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_role("button", name="Unfollow").is_visible()
    page.get_by_role("link", name="Following").click()
    assert page.locator("main").get_by_role("link", name="Ministry of Interior").is_visible()

    ministry = Partner.objects.get(slug="ministry-of-interior")
    commitment = Commitment.objects.filter(made_by=ministry).order_by("pk").first()
    citation = commitment.citations.first()
    commitment_add_update(
        commitment=commitment,
        status=CommitmentStatus.IN_PROGRESS,
        source=citation.source,
        passage=citation.passage,
        date=timezone.localdate(),
    )
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert digests.digests_send(frequency=DigestFrequency.DAILY, today=tomorrow)["sent"] == 1
    [message] = smtp_server.messages
    assert message["To"] == "liaison@example.org"
    body = message.get_body(("plain",)).get_content()
    assert commitment.title in body and "Announced → In progress" in body
    link = f"{url}/commitments/{commitment.pk}/"
    assert link in body
    page.goto(link)
    assert page.get_by_role("heading", level=1).inner_text() == commitment.title

    page.goto(url + "/partners/ministry-of-interior/")
    brief = page.locator("section", has=page.get_by_role("heading", name="Since our last meeting"))
    assert "Sar Kheng meets French ambassador Jacques Pellet" in brief.inner_text()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the brief (PDF)").click()
    pdf = tmp_path / "brief.pdf"
    download.value.save_as(pdf)
    text = " ".join(pdf_text(pdf).split())
    assert "Ministry of Interior" in text and "Since our last meeting" in text
    assert "In progress" in text  # the status change just recorded

    page.get_by_role("link", name="Plan coverage").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Action-plan coverage"
    row = page.locator("tbody tr", has=page.get_by_role("link", name="Ministry of Interior"))
    assert re.search(r"\b4\b", row.inner_text())  # its four partnership commitments


def test_an_anonymous_visitor_sees_a_small_count_only_as_fewer_than_11(page, follow_up_server):
    url = follow_up_server.url
    for path in ("/complaints/", "/partners/ministry-of-interior/", "/timeline/", "/"):
        page.goto(url + path)
        main = page.locator("main").inner_text()
        assert "fewer than 11" in main or path == "/", path
        assert not re.search(r"(?<![\d.,])7 complaints", main), path
        assert "296" not in main, path  # 289 + 7: the hidden count is left out of every total
