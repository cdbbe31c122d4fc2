"""Faults, with real processes: gunicorn serving the site, `celery -A config worker`, a Redis
and a PostgreSQL of the test's own (never the shared ones, which other work relies on).

- The site keeps answering while PostgreSQL restarts, /healthz says the database is down,
  and everything recovers without restarting the site.
- A report asked for while the broker is unreachable stays queued, says so, and is built once
  the broker is back.
- A worker killed with SIGKILL in the middle of a report: after a new worker starts there is
  exactly one report, ready.
"""

import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from bench.load import free_port
from cooperation.models import Report, ReportStatus
from cooperation.roles import EDITOR, roles_sync
from tests import factories

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PASSWORD = "correct horse battery staple"


def require(condition: bool, message: str) -> None:
    """A missing service fails in CI and skips elsewhere."""
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def wait_for(predicate, timeout: float, interval: float = 0.25, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def base_env(**overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}}
    env.update(
        DEBUG="false",
        SECRET_KEY="fault-tests-secret-key-that-is-long-enough-for-django-checks-1234",
        ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


def database_url_for_subprocesses() -> str:
    """The test database, for subprocesses: the test's data is committed (transactional)."""
    s = connection.settings_dict
    user = urllib.parse.quote(s["USER"] or "")
    password = ":" + urllib.parse.quote(s["PASSWORD"]) if s["PASSWORD"] else ""
    host = s["HOST"] or "127.0.0.1"
    port = s["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{s['NAME']}"


class Process:
    """A child process in its own process group, its output kept for the failure message."""

    def __init__(self, command, env, name):
        self.name = name
        self.output = []
        self.popen = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.popen.stdout:
            self.output.append(line)

    def text(self) -> str:
        return "".join(self.output)

    def kill_group(self, sig=signal.SIGKILL) -> None:
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            pass
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.kill_group(signal.SIGTERM)


@pytest.fixture
def processes():
    started = []
    yield started
    for process in reversed(started):
        process.stop()


def start_gunicorn(processes, env) -> str:
    port = free_port()
    process = Process(
        [
            str(BIN / "gunicorn"),
            "config.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            "--workers=1",
            "--threads=4",
            "--timeout=60",
            "--graceful-timeout=5",
        ],
        env,
        "gunicorn",
    )
    processes.append(process)
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: get(url + "/healthz")[0] in (200, 503), 30, what="gunicorn")
    return url


def start_worker(processes, env) -> Process:
    process = Process(
        [
            str(BIN / "celery"),
            "-A",
            "config",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            f"--hostname=fault-{time.monotonic_ns()}@%h",
        ],
        env,
        "worker",
    )
    processes.append(process)
    wait_for(lambda: "ready." in process.text(), 60, what="the Celery worker to be ready")
    return process


def get(url, opener=None, timeout=15.0) -> tuple[int, str]:
    """Status and body; 0 when nothing answered."""
    try:
        with (opener or urllib.request.build_opener()).open(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError):
        return 0, ""


def signed_in_opener(base: str, username: str):
    """A cookie-keeping HTTP client signed in through the real sign-in form."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    status, page = get(base + "/accounts/login/", opener)
    assert status == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token, "next": "/"}
    ).encode()
    with opener.open(base + "/accounts/login/", data=form, timeout=15) as response:
        assert "Signed in as" in response.read().decode()
    return opener


def post_form(opener, url, page_url, fields: dict, timeout=30.0) -> tuple[int, str, str]:
    """POST a form the way a browser does, with the CSRF token of the page it sits on."""
    _, page = get(page_url, opener)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(fields | {"csrfmiddlewaretoken": token}).encode()
    try:
        with opener.open(url, data=data, timeout=timeout) as response:
            return response.status, response.geturl(), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, url, error.read().decode()


def make_editor():
    roles_sync()
    user = factories.UserFactory(username="fault-editor", is_staff=True)
    user.groups.add(Group.objects.get(name=EDITOR))
    factories.join_owners(user)
    return user


# A Redis of the test's own, so "the broker is down" disturbs nobody else.


class Redis:
    def __init__(self, processes):
        require(shutil.which("redis-server") is not None, "redis-server is not installed.")
        self.port = free_port()
        self.processes = processes
        self.process = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = Process(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            os.environ.copy(),
            "redis",
        )
        self.processes.append(self.process)
        wait_for(lambda: "Ready to accept connections" in self.process.text(), 20, what="redis")

    def stop(self):
        self.process.stop()


def manage(env, *arguments, timeout=120) -> str:
    """Run a manage.py command in a subprocess; its output, once it has succeeded."""
    result = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def run_sweep(env) -> str:
    """Celery beat's sweep, run once: sends again the reports left queued."""
    return manage(
        env,
        "shell",
        "-c",
        "from cooperation.reports.services import reports_fail_stuck; print(reports_fail_stuck())",
    )


def report_env(redis, media: Path, *, time_limit: str, soft_time_limit: str) -> dict:
    """The site's and workers' environment: the test database, the test's Redis and media."""
    return base_env(
        DATABASE_URL=database_url_for_subprocesses(),
        CELERY_BROKER_URL=redis.url,
        MEDIA_ROOT=str(media),
        CELERY_TASK_TIME_LIMIT=time_limit,
        CELERY_TASK_SOFT_TIME_LIMIT=soft_time_limit,
    )


def ask_for_internal_report(editor, site: str) -> tuple[int, str, str]:
    """The editor asks for November 2022's internal report through the site's form."""
    return post_form(
        editor,
        site + "/reports/request/",
        site + "/reports/",
        {"month": "2022-11", "audience": "organisation", "organisation": "ministry-of-interior"},
    )


def report_state(pk) -> tuple[str, str]:
    report = Report.objects.get(pk=pk)
    return report.status, report.file.name


def test_report_asked_for_while_the_broker_is_down_is_built_once_it_is_back(
    processes, seed, tmp_path
):
    make_editor()
    redis = Redis(processes)  # not started: its port is closed
    # Short limits so the sweep treats a report queued a few seconds ago as stranded.
    env = report_env(redis, tmp_path / "media", time_limit="4", soft_time_limit="3")
    site = start_gunicorn(processes, env)
    health_status, health = get(site + "/healthz")
    assert health_status == 503 and json.loads(health)["broker"].startswith("down")

    editor = signed_in_opener(site, "fault-editor")
    started = time.monotonic()
    status, landed_on, page = ask_for_internal_report(editor, site)
    assert status == 200, page[:2000]
    assert time.monotonic() - started < 20, "asking for a report hung on the dead broker"
    report = Report.objects.get()
    assert report.status == ReportStatus.QUEUED
    assert f"/reports/{report.pk}/" in landed_on
    assert "Queued" in page or "queued" in page

    redis.start()
    wait_for(lambda: get(site + "/healthz")[0] == 200, 30, what="/healthz to see the broker")
    worker = start_worker(processes, env)
    time.sleep(4.5)  # older than the (shortened) time limit: the sweep sends it again
    assert "'resent': 1" in run_sweep(env)
    wait_for(
        lambda: report_state(report.pk)[0] == ReportStatus.READY,
        90,
        what=f"the report to be built\n{worker.text()[-3000:]}",
    )
    assert Report.objects.count() == 1


def test_worker_killed_mid_report_still_ends_with_exactly_one_ready_report(
    processes, seed, tmp_path
):
    make_editor()
    redis = Redis(processes)
    redis.start()
    media = tmp_path / "media"
    # The broker hands an unacknowledged task out again after twice the time limit.
    env = report_env(redis, media, time_limit="8", soft_time_limit="6")
    site = start_gunicorn(processes, env)
    first = start_worker(processes, env)
    editor = signed_in_opener(site, "fault-editor")
    status, _, page = ask_for_internal_report(editor, site)
    assert status == 200, page[:2000]
    report = Report.objects.get()

    wait_for(
        lambda: report_state(report.pk)[0] == ReportStatus.RUNNING,
        60,
        interval=0.01,
        what="the report to start",
    )
    first.kill_group(signal.SIGKILL)  # the worker and its pool child, mid-report
    assert report_state(report.pk)[0] == ReportStatus.RUNNING

    second = start_worker(processes, env)

    def ready():
        state = report_state(report.pk)[0]
        if state == ReportStatus.FAILED:
            raise AssertionError(
                "The killed build ended failed, not rebuilt: a report left running past the "
                "time limit by a dead worker must go back to the queue (and be sent again) "
                f"while it has attempts left.\n{Report.objects.get(pk=report.pk).error}"
            )
        if state == ReportStatus.READY:
            return True
        run_sweep(env)
        return False

    wait_for(
        ready,
        120,
        interval=3,
        what=f"the report to be ready after the restart\n{second.text()[-3000:]}",
    )
    assert Report.objects.count() == 1
    final = Report.objects.get()
    assert final.status == ReportStatus.READY
    # One file, whole: the killed run left no partial or second PDF behind.
    stored = sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())
    assert stored == [final.file.name]


# PostgreSQL restart, on a throwaway cluster of the test's own.


@pytest.fixture
def throwaway_postgres():
    require((PG_BIN / "initdb").exists(), f"{PG_BIN}/initdb is missing (PostgreSQL 15 server).")
    require(shutil.which("runuser") is not None, "runuser is missing.")
    directory = Path(tempfile.mkdtemp(prefix="concord-pg-"))
    shutil.chown(directory, "postgres", "postgres")
    data = directory / "data"
    port = free_port()

    def as_postgres(*command, check=True):
        return subprocess.run(
            ["runuser", "-u", "postgres", "--", *map(str, command)],
            capture_output=True,
            text=True,
            timeout=120,
            check=check,
        )

    as_postgres(PG_BIN / "initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync")

    class Cluster:
        url = f"postgres://postgres@127.0.0.1:{port}/concord_fault"

        def start(self):
            as_postgres(
                PG_BIN / "pg_ctl",
                "-D",
                data,
                "-l",
                directory / "log",
                "-o",
                f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off",
                "-w",
                "start",
            )

        def stop(self):
            as_postgres(PG_BIN / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop")

    cluster = Cluster()
    cluster.start()
    as_postgres(PG_BIN / "createdb", "-h", "127.0.0.1", "-p", port, "concord_fault")
    try:
        yield cluster
    finally:
        as_postgres(PG_BIN / "pg_ctl", "-D", data, "-m", "immediate", "stop", check=False)
        shutil.rmtree(directory, ignore_errors=True)


def test_site_answers_while_postgresql_restarts_and_recovers_by_itself(
    processes, throwaway_postgres
):
    env = base_env(DATABASE_URL=throwaway_postgres.url, CELERY_BROKER_URL="")
    manage(env, "migrate", "--no-input", "-v0", timeout=300)
    site = start_gunicorn(processes, env)
    server_pid = processes[-1].popen.pid
    assert get(site + "/healthz")[0] == 200
    assert get(site + "/")[0] == 200

    throwaway_postgres.stop()
    started = time.monotonic()
    status, body = get(site + "/healthz")
    assert status == 503
    assert json.loads(body)["database"].startswith("down")
    assert json.loads(body)["broker"] == "not configured (tasks run in-process)"
    # Pages answer too (with an error page, quickly), rather than hanging.
    page_status, _ = get(site + "/")
    assert page_status in (500, 503)
    assert time.monotonic() - started < 20

    throwaway_postgres.start()
    wait_for(lambda: get(site + "/healthz")[0] == 200, 30, what="/healthz to recover")
    assert get(site + "/")[0] == 200
    assert get(site + "/timeline/")[0] == 200
    assert processes[-1].popen.pid == server_pid and processes[-1].popen.poll() is None
