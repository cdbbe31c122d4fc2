"""/healthz: 200 with both services answering, 503 naming the one that does not."""

import os
import socket

import pytest
import redis
from django.urls import reverse

BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_broker():
    if not BROKER_URL:
        message = "CELERY_BROKER_URL is not set: no broker to check against."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    try:
        redis.Redis.from_url(BROKER_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {BROKER_URL} does not answer: {error}")
        pytest.skip(f"Redis at {BROKER_URL} does not answer: {error}")
    return BROKER_URL


def test_healthy_when_database_and_broker_answer(client, db, settings, live_broker):
    settings.CELERY_BROKER_URL = live_broker
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_unreachable_broker_gives_503_and_says_so(client, db, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == "ok"
    assert body["broker"].startswith("down")


def test_without_a_broker_tasks_run_in_process_and_health_is_ok(client, db, settings):
    settings.CELERY_BROKER_URL = ""
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["broker"] == "not configured (tasks run in-process)"


def test_health_never_shows_the_broker_password(client, db, settings):
    settings.CELERY_BROKER_URL = f"redis://:s3cret-pass@127.0.0.1:{closed_port()}/0"
    response = client.get(reverse("healthz"))
    assert "s3cret" not in response.content.decode()


def test_health_answers_get_only(client, db):
    assert client.post(reverse("healthz")).status_code == 405
