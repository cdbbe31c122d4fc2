"""axe-core in a real Chromium on the admin pages Editors and Administrators record meetings
and the rest in, in every language, at desktop and phone widths: no serious or critical
violation, and no request of the admin's own that fails."""

import pytest
from django.core.management import call_command

from cooperation.models import Commitment, ComplaintCount, Meeting, Milestone, Partner, Source
from cooperation.roles import ADMINISTRATOR, EDITOR, roles_sync
from tests.factories import user_with_role
from tests.test_browser_accessibility import LANGUAGES, WIDTHS, browser_context, violations_on

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-passphrase-3"
RECORDS = [Meeting, Commitment, Partner, ComplaintCount, Milestone, Source]


@pytest.fixture
def seeded_server(live_server):
    call_command("loaddata", "fixtures/seed.json", verbosity=0)
    roles_sync()  # transactional tests empty the tables, the migration's groups with them
    return live_server


def admin_pages(role: str) -> list[str]:
    """The index, and for each kind of record its change list, add form, a seed record's
    change form (autocomplete boxes, inlines) and its import page. An Administrator's differ
    from an Editor's in the index, the lists' actions and the forms' delete links only."""
    paths = ["/admin/", "/admin/cooperation/"]
    for model in RECORDS:
        base = f"/admin/cooperation/{model._meta.model_name}/"
        change = f"{base}{model.objects.order_by('pk').first().pk}/change/"
        if role == EDITOR:
            paths += [base, f"{base}add/", change, f"{base}import/"]
        else:
            paths += [base, change]
    return paths


def sign_in_to_admin(context, base: str, username: str, language: str) -> None:
    """Through the admin's own sign-in page, which is checked first."""
    found, failed = violations_on(context, base, ["/admin/login/"], language)
    assert found == {}
    assert failed == []
    page = context.pages[-1]
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_selector("#site-name")
    assert "/admin/login/" not in page.url
    page.close()


@pytest.mark.parametrize("role", [EDITOR, ADMINISTRATOR])
@pytest.mark.parametrize("width", sorted(WIDTHS))
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_admin_has_no_serious_accessibility_violation(
    browser, seeded_server, language, width, role
):
    username = f"a11y-{role.lower()}"
    user = user_with_role(username, role)
    user.set_password(PASSWORD)
    user.save()
    context = browser_context(browser, language, width)
    try:
        sign_in_to_admin(context, seeded_server.url, username, language)
        found, failed = violations_on(context, seeded_server.url, admin_pages(role), language)
    finally:
        context.close()
    assert found == {}
    assert failed == []
