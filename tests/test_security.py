"""Sign-in, sessions, security headers, the Content Security Policy, the access log, and the
production settings passing `check --deploy`. Lockouts are tested in tests/test_lockouts.py."""

import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests import factories

PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def alice(db):
    return factories.UserFactory(username="alice")


def sign_in(client, username="alice", password=PASSWORD, ip="198.51.100.7", **extra):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
        **extra,
    )


def test_sign_in_page_uses_the_site_layout(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="site-header"' in html
    assert 'name="username"' in html and 'name="password"' in html


def test_sign_in_starts_a_new_session_and_the_header_names_the_user(client, alice):
    client.get(reverse("login"))
    client.session["marker"] = "before"
    before = client.cookies.get(settings.SESSION_COOKIE_NAME)
    response = sign_in(client)
    assert response.status_code == 302
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert before is None or before.value != after
    page = client.get(reverse("login") + "?next=/", follow=True)
    assert "Signed in as alice" in page.content.decode()


def test_sign_out_ends_the_session(client, alice):
    sign_in(client)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_wrong_password_says_so_without_saying_which_part(client, alice):
    response = sign_in(client, password="wrong")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_security_events_are_logged_with_user_and_address(client, alice, caplog):
    caplog.set_level(logging.INFO, logger="concord.access")
    sign_in(client, password="wrong", ip="198.51.100.1")
    sign_in(client, ip="198.51.100.2")
    client.get(reverse("admin:cooperation_partner_changelist"), REMOTE_ADDR="198.51.100.3")
    client.post(reverse("logout"), REMOTE_ADDR="198.51.100.4")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, password="wrong", ip="198.51.100.5")
    lines = [r.getMessage() for r in caplog.records if r.name == "concord.access"]
    assert "sign-in-failed user=alice ip=198.51.100.1" in lines
    assert "sign-in user=alice ip=198.51.100.2" in lines
    assert "permission-refused user=alice ip=198.51.100.3 path=/admin/cooperation/partner/" in lines
    assert "sign-out user=alice ip=198.51.100.4" in lines
    assert "lockout user=alice ip=198.51.100.5" in lines


def test_log_lines_cannot_be_forged_through_the_username(client, db, caplog):
    caplog.set_level(logging.INFO, logger="concord.access")
    sign_in(client, username="eve\nsign-in user=admin ip=1.1.1.1", password="x")
    lines = [r.getMessage() for r in caplog.records if r.name == "concord.access"]
    assert all("\n" not in line for line in lines)
    assert not any(line.startswith("sign-in user=admin") for line in lines)


def test_session_expires_after_idle_timeout_and_cookies_are_http_only(client, alice):
    sign_in(client)
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE <= 60 * 60
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


@pytest.mark.parametrize("url_name", ["login", "healthz", "cooperation:dashboard"])
def test_security_headers_on_every_page(client, db, url_name):
    response = client.get(reverse(url_name))
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_site_templates_carry_no_inline_scripts_or_styles():
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        if "reports" in path.parts:  # PDF templates are rendered by WeasyPrint, not browsers
            continue
        if "email" in path.parts:  # emails are read in mail clients, which drop style sheets
            continue
        text = path.read_text().lower()
        for marker in ("<script>", "<style", " style=", " onclick=", " onload=", "javascript:"):
            if marker in text:
                offenders.append(f"{path.relative_to(ROOT)}: {marker.strip()}")
        for chunk in text.split("<script")[1:]:
            if "src=" not in chunk.split(">", 1)[0]:
                offenders.append(f"{path.relative_to(ROOT)}: inline <script>")
    assert offenders == []


def test_hsts_and_https_redirect_behind_the_proxy(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31_536_000
    plain = client.get(reverse("login"))
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    secure = client.get(reverse("login"), HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")
    # The load balancer's probe is not redirected.
    assert client.get(reverse("healthz")).status_code in (200, 503)


def production_environment() -> dict:
    """What a production process gets: the services' addresses and nothing from the tests
    (the browser fixture, for one, sets DJANGO_ALLOW_ASYNC_UNSAFE, which --deploy refuses)."""
    passed_through = {"PATH", "HOME", "LANG", "DATABASE_URL", "CELERY_BROKER_URL"}
    env = {key: value for key, value in os.environ.items() if key in passed_through}
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="concord.example.org",
        CSRF_TRUSTED_ORIGINS="https://concord.example.org",
        BEHIND_HTTPS_PROXY="true",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    return env


def test_production_settings_pass_the_deployment_check():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = production_environment()
    env.pop("SECRET_KEY")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_use_pushes_the_idle_timeout_forward_with_one_write_a_minute(client, alice):
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cooperation.sessions import REFRESHED

    sign_in(client)
    key = client.session.session_key

    def expiry():
        return Session.objects.get(session_key=key).expire_date

    def session_writes(path):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return [
            q for q in queries if q["sql"].startswith("UPDATE") and "django_session" in q["sql"]
        ]

    signed_in_at = expiry()
    assert len(session_writes("/")) == 1  # the first use after signing in is remembered
    assert not session_writes("/")  # and the next, within the minute, writes nothing
    session = client.session
    session[REFRESHED] -= settings.SESSION_REFRESH_SECONDS  # as if a minute went by
    session.save()
    before = expiry()
    assert len(session_writes("/timeline/")) == 1
    assert expiry() > before >= signed_in_at
