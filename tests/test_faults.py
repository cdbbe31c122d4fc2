"""Faults, with real processes: gunicorn serving the site and a PostgreSQL of the test's own
(never the shared one, which other work relies on).

The site keeps answering while PostgreSQL restarts, /healthz says the database is down, and
everything recovers without restarting the site. The report drills (a worker or its child
killed, the broker down, beat restarted) are in test_drills.py.
"""

import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from bench.load import free_port
from tests.processes import PG_BIN, base_env, get, manage, require, start_gunicorn, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


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
