"""Load on a real server: gunicorn on loopback, driven by concurrent keep-alive clients.

`gunicorn_serving` starts and stops the server; `drive` runs clients over paths for a while
and returns every answer, counted after a warm-up. Used by `bench_pages` (requests per second
of each page) and `bench_load` (a mix of pages for a long run).
"""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.urls import reverse


@dataclass(frozen=True)
class Answer:
    path: str
    status: int  # 0: no answer at all
    seconds: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn_serving(*, workers: int, threads: int = 1, env: dict | None = None) -> Iterator[int]:
    """gunicorn serving this project on a free loopback port, for the `with` block."""
    port = free_port()
    environment = os.environ | {
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings"),
        **(env or {}),
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "config.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        f"--threads={threads}",
        "--log-level=warning",
        "--timeout=60",
    ]
    server = subprocess.Popen(command, cwd=settings.BASE_DIR, env=environment)
    try:
        _wait_until_up(port, server)
        yield port
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def _wait_until_up(port: int, server: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}.")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", reverse("healthz"), headers={"Host": "127.0.0.1"})
            if connection.getresponse().status in (200, 503):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 30 seconds.")


def drive(
    port: int,
    paths: list[str],
    *,
    clients: int,
    seconds: float,
    warmup: float = 1.0,
    cookie: str = "",
) -> list[Answer]:
    """Each client loops over `paths` on one keep-alive connection until time is up; answers
    in the warm-up are not kept."""
    answers: list[Answer] = []
    lock = threading.Lock()
    counted_from = time.monotonic() + warmup
    stop = counted_from + seconds
    headers = {"Host": "127.0.0.1", **({"Cookie": cookie} if cookie else {})}

    def client(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        turn = number
        while (started := time.monotonic()) < stop:
            path = paths[turn % len(paths)]
            turn += 1
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = 0
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            if started >= counted_from:
                mine.append(Answer(path, status, time.monotonic() - started))
        connection.close()
        with lock:
            answers.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers
