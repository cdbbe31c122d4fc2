import sys

import pytest
from django.core.management import call_command

from cooperation.roles import EDITOR, VIEWER
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
def editor_client(client, db):
    """A client signed in as an Editor on the staff of the records' owners."""
    from django.contrib.auth.models import Group

    user = factories.UserFactory(username="editor")
    user.groups.add(Group.objects.get(name=EDITOR))
    factories.join_owners(user)
    client.force_login(user)
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


class Inbox:
    """What a real local SMTP server (aiosmtpd) received, parsed; `refuse` makes it answer
    every message with a temporary failure, `hold_from` makes it keep the n-th message and
    later ones waiting for an answer that never comes (a client stuck mid-send)."""

    def __init__(self):
        self.messages = []
        self.refuse = False
        self.hold_from: int | None = None
        self.held = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        import asyncio
        import email
        import email.policy

        if self.refuse:
            return "451 4.3.0 Mail server temporarily unavailable"
        if self.hold_from is not None and len(self.messages) >= self.hold_from:
            self.held += 1
            await asyncio.sleep(3600)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message.recipients = list(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a free local port, and Django's email sent to it over SMTP."""
    from aiosmtpd.controller import Controller

    from bench.load import free_port

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    inbox.port = controller.port
    yield inbox
    controller.stop()


@pytest.fixture
def build(eager, media, django_capture_on_commit_callbacks):
    """Ask for a report and build it, as a user's request would; returns the fresh report.
    `dossier=True` asks for a partner's whole record (`report_request_dossier`)."""
    from cooperation.reports import services

    def build(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            if kwargs.pop("dossier", False):
                report, _queued = services.report_request_dossier(**kwargs)
            else:
                report, _queued = services.report_request(**kwargs)
        report.refresh_from_db()
        return report

    return build
