"""In a real Chromium with the Content Security Policy on: an Editor signs in to the admin
and edits a record, and the policy blocks nothing the admin needs; the sign-in page and
/changes/ look right on a wide and a narrow screen."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from cooperation.models import Partner
from cooperation.roles import EDITOR, VIEWER, roles_sync
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"


def role_user(username, role, *, staff):
    roles_sync()  # transactional tests empty the tables, the migration's groups with them
    user = factories.UserFactory(username=username, is_staff=staff)
    user.groups.add(Group.objects.get(name=role))
    factories.join_owners(user)
    return user


def watch_policy(page) -> list[str]:
    """Collects every Content Security Policy violation and page error the browser reports."""
    problems = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if "Content Security Policy" in message.text
            or (message.type == "error" and "Failed to load resource" not in message.text)
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico")
            else None
        ),
    )
    return problems


def test_editor_edits_a_record_in_the_admin_under_the_policy(live_server, page):
    role_user("editor", EDITOR, staff=True)
    partner = factories.PartnerFactory(name="Ministry of Interior", slug="moi")
    problems = watch_policy(page)

    response = page.goto(f"{live_server.url}/admin/")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")

    page.goto(f"{live_server.url}/admin/cooperation/partner/{partner.pk}/change/")
    page.fill("#id_name", "Ministry of the Interior")
    # The admin's own scripts run: the citations inline adds a form when asked.
    page.click(".inline-group .add-row a")
    page.wait_for_selector("#id_cooperation-citation-content_type-object_id-0-passage")
    page.click(".inline-group .inline-deletelink")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")

    partner.refresh_from_db()
    assert partner.name == "Ministry of the Interior"
    assert partner.history.first().history_user.username == "editor"

    # The record's history, with its revert links, renders too.
    page.goto(f"{live_server.url}/admin/cooperation/partner/{partner.pk}/history/")
    assert page.locator("text=Ministry of the Interior").count() >= 1
    assert problems == [], "\n".join(problems)


def test_admin_prepopulates_the_slug_under_the_policy(live_server, page):
    role_user("editor", EDITOR, staff=True)
    problems = watch_policy(page)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/cooperation/topic/add/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#id_name")
    page.type("#id_name", "Victim protection")
    assert page.input_value("#id_slug") == "victim-protection"
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    assert problems == [], "\n".join(problems)


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"trust-{name}-{width}.png"), full_page=True)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"{name} at {width}px scrolls sideways by {overflow}px"


def test_sign_in_page_and_changes_page_in_the_browser(live_server, page):
    role_user("viewer", VIEWER, staff=False)
    problems = watch_policy(page)
    partner = factories.PartnerFactory(name="Embassy of France", slug="france")
    partner.name = "Embassy of France in Cambodia"
    partner.save()
    factories.MeetingFactory(title="Border cooperation talks", partners=[partner])

    page.goto(f"{live_server.url}/changes/")
    assert "/accounts/login/" in page.url
    shoot(page, "sign-in")

    page.fill("input[name=username]", "viewer")
    page.fill("input[name=password]", "wrong password")
    page.click("form.stacked-form button[type=submit]")
    page.wait_for_selector(".form-errors")
    shoot(page, "sign-in-error")

    page.fill("input[name=password]", PASSWORD)
    page.click("form.stacked-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/changes/")
    assert page.locator("text=Signed in as viewer").count() == 1
    assert page.locator("td >> text=Embassy of France in Cambodia").count() >= 1
    shoot(page, "changes")

    page.select_option("select[name=model]", "meeting")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**model=meeting**")
    # The meeting's creation, then the change of its partners (link history).
    assert page.locator("td >> text=Border cooperation talks").count() == 2
    assert page.locator("table tbody tr").count() == 2
    assert problems == [], "\n".join(problems)
    assert Partner.objects.count() >= 1
