"""Past one machine: two gunicorn web processes and two Celery workers, started as separate
processes against the test database, one Redis cache and one broker, agree with each other.

They share nothing but what production shares: the database (records, the data version,
sessions), the Redis cache (CACHE_URL), the broker (CELERY_BROKER_URL), MEDIA_ROOT and
SECRET_KEY. The cache and the broker are Redis databases of their own (CACHE_DB, BROKER_DB on
the tests' broker server), emptied at start, so no other test's worker takes these tasks.
Transactional tests: the other processes read only what is committed. Without Redis the tests
are skipped, except in CI (CI=true), where that is a failure.
"""

import http.client
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse

from bench.load import gunicorn_serving
from config.celery import app
from cooperation import tasks
from cooperation.models import Partner, Report, ReportStatus
from cooperation.services import record_update
from tests.test_worker import _database_url, wait_until_done

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BROKER_DB = 7
CACHE_DB = 8
PASSWORD = "scale-out-password-" + secrets.token_urlsafe(8)


@dataclass
class Cluster:
    """The processes of one deployment: web ports, worker logs and what they share."""

    web_a: int
    web_b: int
    worker_logs: dict[str, Path]
    media: Path
    cache: redis.Redis
    broker_url: str

    def logs(self) -> dict[str, str]:
        return {name: path.read_text(errors="replace") for name, path in self.worker_logs.items()}

    def log_tails(self) -> str:
        return _log_tails(list(self.worker_logs.values()))


def _redis_url(url: str, db: int) -> str:
    return urlsplit(url)._replace(path=f"/{db}").geturl()


def _empty_redis(url: str) -> None:
    redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()


def _shared_services() -> tuple[str, str]:
    """The broker's and the cache's URLs, both emptied; skipped (or failed in CI) without them."""
    tests_broker = os.environ.get("CELERY_BROKER_URL", "")
    problem = None
    if connection.vendor != "postgresql":
        problem = "Processes of their own need a database they can share: PostgreSQL."
    elif not tests_broker.startswith(("redis://", "rediss://")):
        problem = f"CELERY_BROKER_URL is not a Redis URL ({tests_broker!r}): no Redis to share."
    else:
        broker_url = _redis_url(tests_broker, BROKER_DB)
        cache_url = _redis_url(tests_broker, CACHE_DB)
        try:
            _empty_redis(broker_url)
            _empty_redis(cache_url)
        except redis.RedisError as error:
            problem = f"Redis at CELERY_BROKER_URL does not answer: {error}"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    return broker_url, cache_url


def _log_tails(logs: list[Path]) -> str:
    return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-5000:]}" for log in logs)


def wait_for_log(logs: list[Path], text: str, seconds: float = 60) -> None:
    """Until one of these logs says `text`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(text in log.read_text(errors="replace") for log in logs):
            return
        time.sleep(0.2)
    pytest.fail(f"No log said {text!r} within {seconds} seconds.\n{_log_tails(logs)}")


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def cluster_processes(django_db_setup, tmp_path_factory):
    """Two web processes and two workers, started once for every test of this module: they
    keep no state between requests, which is the point."""
    broker_url, cache_url = _shared_services()
    root = tmp_path_factory.mktemp("scale-out")
    media = root / "media"
    env = {
        "DATABASE_URL": _database_url(),
        "CACHE_URL": cache_url,
        "CELERY_BROKER_URL": broker_url,
        "MEDIA_ROOT": str(media),
        "PAGE_CACHE_SECONDS": "300",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    worker_logs = {name: root / f"worker-{name}.log" for name in ("one", "two")}
    with ExitStack() as stack:
        for name, log in worker_logs.items():
            worker = subprocess.Popen(
                [
                    *(sys.executable, "-m", "celery", "-A", "config", "worker"),
                    *("--pool=solo", f"--hostname={name}@%h", "--loglevel=INFO"),
                    *("--without-mingle", "--without-gossip", "--without-heartbeat"),
                ],
                cwd=settings.BASE_DIR,
                env=os.environ | env,
                stdout=stack.enter_context(log.open("w")),
                stderr=subprocess.STDOUT,
            )
            stack.callback(_stop, worker)
        web_a = stack.enter_context(gunicorn_serving(workers=1, env=env))
        web_b = stack.enter_context(gunicorn_serving(workers=1, env=env))
        for log in worker_logs.values():
            wait_for_log([log], "ready.")
        yield Cluster(web_a, web_b, worker_logs, media, redis.Redis.from_url(cache_url), broker_url)


@pytest.fixture
def cluster(cluster_processes):
    """The processes, with an empty cache (the flushed database starts its data version
    again, so an earlier test's entries would match it); the workers' logs are printed after
    the test, which pytest shows when it fails."""
    cluster_processes.cache.flushdb()
    yield cluster_processes
    print(cluster_processes.log_tails())


@dataclass
class Answer:
    status: int
    body: bytes
    cookies: dict[str, str]

    @property
    def text(self) -> str:
        return self.body.decode()


def fetch(port: int, path: str, *, cookies: dict | None = None, form: dict | None = None) -> Answer:
    """One request to the web process on `port`, as a browser sends it; redirects not followed."""
    headers = {"Host": "127.0.0.1"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    body = None
    if form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = urlencode(form)
    server = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        server.request("GET" if body is None else "POST", path, body=body, headers=headers)
        response = server.getresponse()
        set_cookies = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            set_cookies.load(header)
        return Answer(
            status=response.status,
            body=response.read(),
            cookies={name: morsel.value for name, morsel in set_cookies.items()},
        )
    finally:
        server.close()


CSRF_FORM_TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=")([^"]+)"')


def csrf_form_token(html: str) -> str:
    return CSRF_FORM_TOKEN.search(html)[2]


def without_csrf_tokens(html: str) -> str:
    """The page with its forms' CSRF tokens blanked: each answer masks the token afresh."""
    return CSRF_FORM_TOKEN.sub(r'\1"', html)


def sign_in(port: int, username: str) -> dict[str, str]:
    """Sign in through the login form of the web process on `port`; returns the cookies."""
    login = fetch(port, reverse("login"))
    cookies = login.cookies
    answer = fetch(
        port,
        reverse("login"),
        cookies=cookies,
        form={
            "csrfmiddlewaretoken": csrf_form_token(login.text),
            "username": username,
            "password": PASSWORD,
            "next": reverse("cooperation:dashboard"),
        },
    )
    assert answer.status == 302, answer.text
    return cookies | answer.cookies


def test_two_web_processes_agree_on_pages_edits_and_sessions(seed, cluster):
    partner = Partner.objects.get(slug="ministry-of-interior")
    paths = [reverse("cooperation:dashboard"), partner.get_absolute_url()]
    for path in paths:
        from_a, from_b = fetch(cluster.web_a, path), fetch(cluster.web_b, path)
        assert (from_a.status, from_b.status) == (200, 200), path
        assert without_csrf_tokens(from_a.text) == without_csrf_tokens(from_b.text), path
    assert cluster.cache.keys("*fragment:*"), "the pages were not cached in the shared Redis"

    record_update(record=partner, changes={"description": "Rewritten while two servers run."})
    for port in (cluster.web_a, cluster.web_b):
        assert "Rewritten while two servers run." in fetch(port, paths[1]).text, port

    get_user_model().objects.create_superuser("scale-admin", password=PASSWORD)
    cookies = sign_in(cluster.web_a, "scale-admin")
    dashboard = fetch(cluster.web_b, paths[0], cookies=cookies)
    assert dashboard.status == 200
    assert "Signed in as scale-admin" in dashboard.text


def test_a_report_asked_of_one_web_process_is_built_once_and_served_by_both(seed, cluster):
    get_user_model().objects.create_superuser("scale-reporter", password=PASSWORD)
    cookies = sign_in(cluster.web_b, "scale-reporter")
    report_list = fetch(cluster.web_b, reverse("cooperation:report-list"), cookies=cookies)
    asked = fetch(
        cluster.web_a,
        reverse("cooperation:report-request"),
        cookies=cookies,
        form={
            "csrfmiddlewaretoken": csrf_form_token(report_list.text),
            "month": "2022-11",
            "audience": "public",
        },
    )
    assert asked.status == 302, asked.text
    report = Report.objects.get(requested_by__username="scale-reporter")
    with app.connection_for_write(cluster.broker_url) as broker, broker.Producer() as producer:
        # A second delivery of the same message, so that both workers have one to take.
        tasks.render_report.apply_async(args=[report.pk], producer=producer)

    report = wait_until_done(report.pk)
    assert report.status == ReportStatus.READY, report.error
    assert report.attempts == 1
    assert list(cluster.media.rglob("*.pdf")) == [cluster.media / report.file.name]
    # The second delivery finds the report done (after waiting out a live build's lease), and
    # is dropped.
    wait_for_log(
        list(cluster.worker_logs.values()),
        f"Report {report.pk} is ready, failed or gone; nothing to do",
    )
    builders = [name for name, log in cluster.logs().items() if f"Report {report.pk} ready" in log]
    assert len(builders) == 1, cluster.log_tails()

    download = reverse("cooperation:report-download", args=[report.pk])
    from_b, from_a = fetch(cluster.web_b, download), fetch(cluster.web_a, download)
    assert (from_b.status, from_a.status) == (200, 200)
    assert from_b.body == from_a.body == (cluster.media / report.file.name).read_bytes()
    assert from_b.body.startswith(b"%PDF")
