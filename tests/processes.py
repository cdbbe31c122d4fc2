"""Real processes for fault tests and drills: gunicorn, Celery workers and beat, a Redis of the
test's own, and clients that use the site as a browser does.

Each process runs in its own process group, its output kept for failure messages; the
`processes` fixture (tests/conftest.py) stops whatever a test started.
"""

import http.cookiejar
import os
import re
import shutil
import signal
import subprocess
import sys
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
from cooperation.roles import EDITOR, roles_sync
from tests import factories

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


def start_worker(processes, env, *, name: str = "worker") -> Process:
    """`celery worker` with one pool child, as the Procfile runs it; returns once it consumes."""
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
            f"--hostname={name}-{time.monotonic_ns()}@%h",
        ],
        env,
        name,
    )
    processes.append(process)
    wait_for(lambda: "ready." in process.text(), 60, what=f"the Celery {name} to be ready")
    return process


def start_beat(processes, env, schedule_dir: Path) -> Process:
    """`celery beat` on the database schedule, as the Procfile runs it."""
    process = Process(
        [
            str(BIN / "celery"),
            "-A",
            "config",
            "beat",
            "--loglevel=INFO",
            f"--pidfile={schedule_dir / 'beat.pid'}",
        ],
        env,
        "beat",
    )
    processes.append(process)
    wait_for(lambda: "beat: Starting" in process.text(), 60, what="Celery beat to start")
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


# Recovery times the drills measured, printed at the end of the run (tests/conftest.py).
RECOVERY_TIMES: list[tuple[str, float]] = []


def recovery_record(drill: str, seconds: float) -> None:
    RECOVERY_TIMES.append((drill, seconds))
    print(f"{drill}: recovered in {seconds:.1f} s")
