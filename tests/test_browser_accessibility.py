"""axe-core in a real Chromium on every page, in every language, at desktop and phone widths:
no serious or critical violation, and no request of the page's own that fails."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.core.management import call_command

from cooperation.models import Commitment, ComplaintCount, Meeting, Milestone, Source
from cooperation.roles import EDITOR, roles_sync
from tests.factories import user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
LANGUAGES = [code for code, _name in settings.LANGUAGES]
SERIOUS = {"serious", "critical"}
AXE = Axe()


@pytest.fixture
def seeded_server(live_server):
    call_command("loaddata", "fixtures/seed.json", verbosity=0)
    return live_server


def pages() -> list[str]:
    """One of each page a visitor reaches, on the seed."""
    return [
        "/",
        "/timeline/",
        "/partners/",
        "/partners/ministry-of-interior/",
        "/meetings/",
        Meeting.objects.first().get_absolute_url(),
        "/commitments/",
        Commitment.objects.first().get_absolute_url(),
        "/complaints/",
        ComplaintCount.objects.first().get_absolute_url(),
        "/milestones/",
        Milestone.objects.first().get_absolute_url(),
        Source.objects.first().get_absolute_url(),
        "/coverage/",
        "/search/?q=trafficking",
        "/reports/",
        "/accounts/login/",
    ]


def serious_violations(page) -> list[str]:
    results = AXE.run(page)
    return [
        f"{violation['id']} ({violation['impact']}): "
        + "; ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in SERIOUS
    ]


def violations_on(context, base: str, paths: list[str], language: str) -> tuple[dict, list]:
    """Each path's serious violations, and every request of the site's own that failed."""
    page = context.new_page()
    failed: list[str] = []
    page.on(
        "response",
        lambda response: (
            failed.append(f"{response.status} {response.url}")
            if response.status >= 400 and response.url.startswith(base)
            else None
        ),
    )
    found = {}
    for path in paths:
        response = page.goto(base + path)
        assert response.status == 200, path
        assert page.locator("html").get_attribute("lang") == language, path
        violations = serious_violations(page)
        if violations:
            found[path] = violations
    return found, failed


def browser_context(browser, language: str, width: str):
    return browser.new_context(
        viewport=dict(zip(("width", "height"), WIDTHS[width], strict=True)),
        locale=language,
        extra_http_headers={"Accept-Language": language},
    )


@pytest.mark.parametrize("width", sorted(WIDTHS))
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_has_no_serious_accessibility_violation(browser, seeded_server, language, width):
    context = browser_context(browser, language, width)
    try:
        found, failed = violations_on(context, seeded_server.url, pages(), language)
    finally:
        context.close()
    assert found == {}
    assert failed == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_editors_pages_have_no_serious_accessibility_violation(browser, seeded_server, language):
    """Signed in through the sign-in page: what only signed-in users see (the account, the
    change log, the report form, the editor's actions)."""
    roles_sync()  # transactional tests empty the tables, the migration's groups with them
    editor = user_with_role("a11y-editor", EDITOR)
    editor.set_password("a-long-passphrase-2")
    editor.save()
    context = browser_context(browser, language, "desktop")
    try:
        page = context.new_page()
        page.goto(seeded_server.url + "/accounts/login/")
        page.locator("input[name=username]").fill("a11y-editor")
        page.locator("input[name=password]").fill("a-long-passphrase-2")
        page.locator("main button[type=submit]").click()
        page.wait_for_load_state()
        assert "/accounts/login/" not in page.url
        assert page.locator(".account").get_by_text("a11y-editor").count() == 1
        paths = ["/account/", "/changes/", "/reports/", "/", "/partners/ministry-of-interior/"]
        paths.append(Commitment.objects.first().get_absolute_url())
        found, failed = violations_on(context, seeded_server.url, paths, language)
    finally:
        context.close()
    assert found == {}
    assert failed == []
