import sys

import pytest
from django.core.management import call_command

from cooperation.roles import VIEWER
from tests import factories


@pytest.fixture(autouse=True)
def page_cache_off(settings):
    """Pages are built afresh in tests; tests/test_page_cache.py turns the cache on."""
    settings.PAGE_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def language_reset():
    """Each test starts in the default language: a request in Khmer leaves Khmer active in
    its thread (LocaleMiddleware activates a language and nothing deactivates it)."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def api_throttles_off(settings):
    """The walks make hundreds of API calls; tests/test_api.py turns the throttles on."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None},
    }


@pytest.fixture
def seed(db):
    """The seed data users see, loaded from fixtures/."""
    call_command("loaddata", "fixtures/seed.json", verbosity=0)


@pytest.fixture
def viewer(db):
    """A Viewer on the staff of the organisation that owns the tests' internal records."""
    from django.contrib.auth.models import Group

    user = factories.UserFactory(username="viewer")
    user.groups.add(Group.objects.get(name=VIEWER))
    factories.join_owners(user)
    return user


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def eager():
    """Run report tasks in-process, as the embedded setup does, whatever the environment says."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """A real headless Chromium (Debian's). Missing in CI is a failure, elsewhere a skip."""
    import os
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium package (make system-test)."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run
    # beside one unless told the access is deliberate.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def processes():
    """Real processes a test starts (tests/processes.py), stopped when it ends."""
    started = []
    yield started
    for process in reversed(started):
        process.stop()


def pytest_terminal_summary(terminalreporter):
    """The drills' recovery times (tests/test_drills.py), in the run's own output."""
    processes = sys.modules.get("tests.processes")
    if processes and processes.RECOVERY_TIMES:
        terminalreporter.section("Recovery drills")
        for drill, seconds in processes.RECOVERY_TIMES:
            terminalreporter.write_line(f"{drill}: recovered in {seconds:.1f} s")
