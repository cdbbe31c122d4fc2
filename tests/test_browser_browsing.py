"""A real browser walks the dashboard to a source passage, filters, sorts and exports."""

import csv
import io
import re

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def seeded_server(live_server):
    call_command("loaddata", "fixtures/seed.json", verbosity=0)
    return live_server


def test_walk_from_dashboard_to_a_source_passage(page, seeded_server):
    page.goto(seeded_server.url + "/")
    assert page.get_by_role("heading", name="Cooperation at a glance").is_visible()
    assert page.locator(".chart-svg").count() >= 2

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Timeline").click()
    page.wait_for_url(re.compile(r"/timeline/$"))
    assert page.get_by_text("1 Nov 2022, year inferred").first.is_visible()

    page.get_by_role("link", name="Interior ministry").first.click()
    page.wait_for_url(re.compile(r"/partners/ministry-of-interior/$"))
    assert page.get_by_role("heading", name="People").is_visible()

    page.get_by_role("link", name="Sar Kheng meets French ambassador Jacques Pellet").first.click()
    page.wait_for_url(re.compile(r"/meetings/sar-kheng-meets-french-ambassador-jacques-pellet/$"))
    assert page.get_by_role("heading", name="What came of it").is_visible()

    page.get_by_role("link", name="Read it in the source").first.click()
    page.wait_for_url(re.compile(r"/sources/\d+/#passage-c\d+$"))
    anchor = page.url.split("#")[1]
    target = page.locator(f"[id='{anchor}']")
    assert target.count() == 1
    assert target.is_visible() or page.locator(f"mark:has([id='{anchor}'])").is_visible()


def test_filter_sort_and_export_a_table(page, seeded_server):
    page.goto(seeded_server.url + "/commitments/")
    page.get_by_label("Status").select_option("in_progress")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"status=in_progress"))
    rows = page.locator(".list-results table tbody tr")
    assert rows.count() == 1
    assert "Finalise the National Plan" in rows.first.inner_text()

    page.goto(seeded_server.url + "/partners/")
    page.locator("thead").get_by_role("link", name=re.compile(r"^Partner")).click()
    page.wait_for_url(re.compile(r"sort=name"))
    first = page.locator(".list-results tbody tr td").first.inner_text()
    page.locator("thead").get_by_role("link", name=re.compile(r"^Partner")).click()
    page.wait_for_url(re.compile(r"sort=-name"))
    assert page.locator(".list-results tbody tr td").first.inner_text() != first
    assert page.locator("th[aria-sort='descending']").count() == 1

    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").click()
    download = download_info.value
    assert download.suggested_filename == "concord-partners.csv"
    rows = list(csv.reader(io.StringIO(open(download.path(), encoding="utf-8").read())))
    assert rows[0][0] == "Partner"
    assert len(rows) == 14  # header + the 13 seed partners
    assert rows[1][0] > rows[-1][0]  # sorted descending, as on the page


def test_pages_read_on_a_phone_without_sideways_scrolling(page, seeded_server):
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/", "/timeline/", "/commitments/", "/partners/ministry-of-interior/"):
        page.goto(seeded_server.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, path


def test_keyboard_focus_is_visible(page, seeded_server):
    page.goto(seeded_server.url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to content"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
