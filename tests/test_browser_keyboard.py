"""Keyboard only, in a real Chromium: a visitor filters a list, sorts a table and pages on; a
signed-in Editor asks for a report. Every key is a key (Tab, Shift+Tab, Enter, Space, arrows,
typing): no click, no fill. At every stop the focused element is on screen and shows a ring."""

import datetime

import pytest

from cooperation.models import Report
from cooperation.roles import EDITOR, roles_sync
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-passphrase-4"
# More presses than any page here has stops: reaching the limit means focus never got there.
MOST_PRESSES = 120

FOCUSED = r"""() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const style = getComputedStyle(element);
  const box = element.getBoundingClientRect();
  const seen = (color) => !/^rgba\(.*, 0\)$/.test(color) && color !== "transparent";
  const ring = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0
                && seen(style.outlineColor))
    || style.boxShadow !== "none";
  const shown = box.width > 0 && box.height > 0 && style.visibility === "visible"
    && element.checkVisibility({opacityProperty: true, visibilityProperty: true})
    && !element.closest("[aria-hidden=true], [inert]")
    && box.right > 0 && box.bottom > 0
    && box.left < document.documentElement.scrollWidth
    && box.top < document.documentElement.scrollHeight;
  const name = element.getAttribute("name") || element.getAttribute("href") || "";
  return {tag: element.tagName.toLowerCase(), name: name, text: element.textContent.trim(),
          ring: ring, shown: shown};
}"""


def focused(page) -> dict | None:
    """What has focus, whether it is on screen and whether it shows that it has focus."""
    return page.evaluate(FOCUSED)


def assert_focus_visible(page) -> dict:
    now = focused(page)
    assert now is not None, "focus fell back to the page itself"
    assert now["shown"], f"focus is on something hidden: {now}"
    assert now["ring"], f"focus does not show: {now}"
    return now


def tab_to(page, selector: str, *, backwards: bool = False) -> None:
    """Tab (or Shift+Tab) until the element `selector` names has focus, checking every stop."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(MOST_PRESSES):
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            assert_focus_visible(page)
            return
        page.keyboard.press(key)
        assert focused(page) is not None, f"{key} left the page before reaching {selector}"
        assert_focus_visible(page)
    raise AssertionError(f"{MOST_PRESSES} presses of {key} never reached {selector}")


def press_and_load(page, key: str) -> None:
    with page.expect_navigation():
        page.keyboard.press(key)
    page.wait_for_load_state()


def meeting_titles(page) -> list[str]:
    return page.locator("table tbody td a[href^='/meetings/']").all_inner_texts()


@pytest.fixture
def meetings(db):
    """Three meetings with France, and a page and more of meetings with someone else."""
    france = factories.PartnerFactory(name="Embassy of France", slug="france")
    other = factories.PartnerFactory(name="Kingdom of Thailand", slug="thailand")
    for number in range(3):
        factories.MeetingFactory(
            title=f"Border talks {number}",
            date=datetime.date(2023, 3, 1 + number),
            partners=[france],
        )
    for number in range(30):
        factories.MeetingFactory(
            title=f"Routine meeting {number:02}",
            date=datetime.date(2022, 1, 1) + datetime.timedelta(days=number),
            partners=[other],
        )


def test_a_visitor_filters_a_list_with_the_keyboard(live_server, page, meetings):
    page.goto(f"{live_server.url}/meetings/")
    tab_to(page, "select[name=partner]")
    # A closed <select> takes type-ahead: the option whose label starts so is chosen.
    page.keyboard.type("Embassy")
    assert page.locator("select[name=partner]").input_value() == "france"
    tab_to(page, "form.filters button[type=submit]")
    press_and_load(page, "Enter")

    assert "partner=france" in page.url
    assert sorted(meeting_titles(page)) == ["Border talks 0", "Border talks 1", "Border talks 2"]
    # The filtered page starts from its top: the first Tab reaches the skip link, shown.
    page.keyboard.press("Tab")
    assert assert_focus_visible(page)["name"] == "#main"


def test_a_visitor_sorts_a_table_and_pages_on_with_the_keyboard(live_server, page, meetings):
    page.goto(f"{live_server.url}/meetings/")
    tab_to(page, "th a.sort[href*='sort=title']")
    press_and_load(page, "Enter")
    assert "sort=title" in page.url
    first_page = meeting_titles(page)
    assert first_page[0] == "Border talks 0"
    assert first_page == sorted(first_page)
    assert page.locator("th[aria-sort=ascending] a.sort[href*='title']").count() == 1

    tab_to(page, "nav.pagination a[rel=next]")
    press_and_load(page, "Enter")
    assert "page=2" in page.url
    assert "sort=title" in page.url
    second_page = meeting_titles(page)
    assert second_page == sorted(second_page)
    assert second_page[0] > first_page[-1]
    assert len(first_page) + len(second_page) == 33

    # Back the other way: Shift+Tab from the end of the page reaches the previous page's link.
    tab_to(page, "nav.pagination a[rel=prev]", backwards=True)
    press_and_load(page, "Enter")
    assert meeting_titles(page) == first_page


def test_an_editor_asks_for_a_report_with_the_keyboard(live_server, page):
    roles_sync()  # transactional tests empty the tables, the migration's groups with them
    editor = factories.user_with_role("keyboard-editor", EDITOR)
    editor.set_password(PASSWORD)
    editor.save()
    factories.PartnerFactory(name="Embassy of France", slug="france")

    page.goto(f"{live_server.url}/accounts/login/?next=/reports/")
    tab_to(page, "input[name=username]")  # where the sign-in page puts focus itself
    page.keyboard.type("keyboard-editor")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "password"
    page.keyboard.type(PASSWORD)
    press_and_load(page, "Enter")
    assert page.url == f"{live_server.url}/reports/"

    tab_to(page, "details.report-request > summary")
    page.keyboard.press("Space")
    assert page.locator("details.report-request").evaluate("d => d.open")
    form = "form.report-request-form"
    tab_to(page, f"{form} select[name=partner]")
    page.keyboard.type("Embassy")
    assert page.locator(f"{form} select[name=partner]").input_value() == "france"
    tab_to(page, f"{form} select[name=audience]")
    # Arrow keys move through a closed <select>'s options; Home is its first, the public.
    page.keyboard.press("Home")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    assert page.locator(f"{form} select[name=audience]").input_value() == "public"
    tab_to(page, f"{form} button[type=submit]")
    press_and_load(page, "Enter")

    report = Report.objects.get()
    assert report.partner.slug == "france"
    assert report.requested_by == editor
    assert page.url == f"{live_server.url}{report.get_absolute_url()}"
    assert page.locator("main h1").count() == 1
