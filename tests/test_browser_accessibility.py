"""axe-core in a real Chromium on every page, in every language, at desktop and phone widths:
no serious or critical violation, and no request of the page's own that fails."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.core.management import call_command

from cooperation.models import Commitment, ComplaintCount, Meeting, Milestone, Source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
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


@pytest.mark.parametrize("width", sorted(WIDTHS))
@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_every_page_has_no_serious_accessibility_violation(browser, seeded_server, language, width):
    context = browser.new_context(
        viewport=dict(zip(("width", "height"), WIDTHS[width], strict=True)),
        locale=language,
        extra_http_headers={"Accept-Language": language},
    )
    page = context.new_page()
    failed: list[str] = []
    page.on(
        "response",
        lambda response: (
            failed.append(f"{response.status} {response.url}")
            if response.status >= 400 and response.url.startswith(seeded_server.url)
            else None
        ),
    )
    found = {}
    try:
        for path in pages():
            response = page.goto(seeded_server.url + path)
            assert response.status in (200, 302), path
            assert page.locator("html").get_attribute("lang") == language, path
            violations = serious_violations(page)
            if violations:
                found[path] = violations
    finally:
        context.close()
    assert found == {}
    assert failed == []
