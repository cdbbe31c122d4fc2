"""In a real Chromium, an Editor at the admin's forms: a browser in another time zone than the
project's gets no note about it under each date, and "Today" is still the project's today; a
long source title reads in full in the citation's source picker, on a wide screen and a phone,
and the page never scrolls sideways."""

import datetime
import zoneinfo
from pathlib import Path

import pytest

from cooperation.roles import EDITOR, roles_sync
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
LONG_TITLE = (
    "Joint statement of the Ministry of Interior of the Kingdom of Cambodia and the Embassy of "
    "France on strengthening cooperation against human trafficking and transnational crime in "
    "the Mekong region, 2022–2025, with its annexes"
)
TIME_ZONE_NOTES = ("behind server time", "ahead of server time")


@pytest.fixture
def project_time(settings):
    settings.TIME_ZONE = "Asia/Phnom_Penh"
    return zoneinfo.ZoneInfo("Asia/Phnom_Penh")


@pytest.fixture
def editor(db):
    roles_sync()  # transactional tests empty the tables, the migration's groups with them
    return factories.user_with_role("editor", EDITOR)


def signed_in_page(browser, live_server, width: int):
    """A page of a browser in UTC, signed in to the admin as the Editor."""
    context = browser.new_context(viewport={"width": width, "height": 900}, timezone_id="UTC")
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    return page


def sideways(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_a_browser_in_another_time_zone_gets_no_note_about_it(
    browser, live_server, editor, project_time
):
    page = signed_in_page(browser, live_server, 1280)
    try:
        page.goto(f"{live_server.url}/admin/cooperation/meeting/add/")
        page.wait_for_load_state("load")
        # The browser is seven hours behind the server, and Django's shortcuts have run: they
        # would say so under every date.
        assert page.evaluate("document.body.dataset.adminUtcOffset") == "25200"
        assert page.locator("#id_date + .datetimeshortcuts").count() == 1
        page.click("#commitments-group .add-row a")  # a new row's dates get shortcuts too
        page.wait_for_selector("#id_commitments-0-date + .datetimeshortcuts")

        text = page.locator("body").inner_text()
        assert not [note for note in TIME_ZONE_NOTES if note in text]
        assert page.locator(".timezonewarning").count() == 0
        assert text.count("Dates and times are Phnom Penh time (UTC+7).") == 1

        # "Today" is the project's today, whatever the browser's clock says.
        before = datetime.datetime.now(project_time).date()
        page.click("#id_date + .datetimeshortcuts a")
        after = datetime.datetime.now(project_time).date()
        assert page.input_value("#id_date") in {before.isoformat(), after.isoformat()}
    finally:
        page.context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_a_long_source_title_reads_in_full_in_its_picker(browser, live_server, editor, width):
    source = factories.SourceFactory(title=LONG_TITLE, text="The parties agreed to cooperate.")
    meeting = factories.MeetingFactory()
    factories.CitationFactory(record=meeting, source=source, passage="The parties agreed")
    page = signed_in_page(browser, live_server, width)
    try:
        page.goto(f"{live_server.url}/admin/cooperation/meeting/{meeting.pk}/change/")
        page.wait_for_load_state("load")
        chosen = page.locator(
            ".inline-related:not(.empty-form) .field-source .select2-selection__rendered"
        ).first
        chosen.scroll_into_view_if_needed()
        assert LONG_TITLE in chosen.inner_text()
        box = chosen.evaluate(
            """element => ({
                scrollWidth: element.scrollWidth, clientWidth: element.clientWidth,
                scrollHeight: element.scrollHeight, clientHeight: element.clientHeight,
                right: element.getBoundingClientRect().right,
                lines: Math.round(element.getBoundingClientRect().height
                                  / parseFloat(getComputedStyle(element).lineHeight)),
            })"""
        )
        assert box["scrollWidth"] <= box["clientWidth"], box
        assert box["scrollHeight"] <= box["clientHeight"] + 1, box
        assert box["lines"] >= 2, "the title wraps rather than running out of the box"
        assert box["right"] <= page.evaluate("window.innerWidth"), box
        assert sideways(page) <= 0

        # Among the choices, too, the title wraps and reads in full.
        chosen.click()
        page.keyboard.type("Joint statement")
        option = page.locator(".select2-results__option", has_text="with its annexes")
        option.wait_for()
        assert LONG_TITLE in option.inner_text()
        assert option.evaluate("element => element.scrollWidth <= element.clientWidth")
        assert sideways(page) <= 0
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"admin-source-picker-{width}.png"))
    finally:
        page.context.close()
