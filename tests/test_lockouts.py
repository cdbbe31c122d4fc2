"""Sign-in lockouts that fit offices: a username locked from one address only, an address
refused when it tries many usernames, the page that says when to try again, unlocking from the
admin, the settings that tune it all, the client address behind a proxy, and hostile input."""

import datetime
import logging
import os
import subprocess
import sys
import unicodedata

import pytest
from axes.models import AccessAttempt
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cooperation.lockouts import Failure, account_locks, address_locks, lock_ends_at
from tests import factories
from tests.test_security import ROOT, sign_in

OFFICE = "198.51.100.7"  # one office's gateway: everyone there signs in from it
ELSEWHERE = "203.0.113.20"
PROXY = "10.0.0.2"


@pytest.fixture(autouse=True)
def quick_password_hashing(settings):
    """Dozens of sign-ins per test; the real hasher would spend seconds on them."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(db):
    return factories.UserFactory(username="alice")


@pytest.fixture
def bob(db):
    return factories.UserFactory(username="bob")


def fail(client, username: str, times: int = 1, ip: str = OFFICE, **extra) -> list[int]:
    """Sign in `times` times with a wrong password; the status of each answer."""
    return [
        sign_in(client, username=username, password="wrong", ip=ip, **extra).status_code
        for _ in range(times)
    ]


def cool_off(settings) -> datetime.timedelta:
    return datetime.timedelta(hours=settings.AXES_COOLOFF_TIME)


def access_lines(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "concord.access"]


# The lock on a username from one address


def test_a_username_is_locked_from_the_address_it_failed_from_only(client, alice, bob, settings):
    limit = settings.AXES_FAILURE_LIMIT
    assert fail(client, "alice", limit) == [200] * (limit - 1) + [429]
    # The right password from that address is refused too ...
    assert sign_in(client, ip=OFFICE).status_code == 429
    assert "_auth_user_id" not in client.session
    # ... but a colleague behind the same gateway signs in, and so does alice from elsewhere.
    assert sign_in(Client(), username="bob", ip=OFFICE).status_code == 302
    assert sign_in(Client(), ip=ELSEWHERE).status_code == 302


def test_failures_of_one_username_from_different_addresses_do_not_add_up(client, alice, settings):
    limit = settings.AXES_FAILURE_LIMIT
    for ip in (OFFICE, ELSEWHERE, "192.0.2.30"):
        assert fail(client, "alice", limit - 1, ip=ip) == [200] * (limit - 1)
    assert sign_in(client, ip=OFFICE).status_code == 302


def test_the_username_failure_limit_comes_from_settings(client, alice, settings):
    settings.AXES_FAILURE_LIMIT = 2
    assert fail(client, "alice", 2) == [200, 429]


def test_a_lock_ends_after_the_cool_off(client, alice, settings):
    fail(client, "alice", settings.AXES_FAILURE_LIMIT)
    assert sign_in(client).status_code == 429
    aged_out = timezone.now() - cool_off(settings) - datetime.timedelta(seconds=1)
    AccessAttempt.objects.update(attempt_time=aged_out)
    assert sign_in(client, ip=OFFICE).status_code == 302


def test_refused_sign_ins_do_not_push_the_lock_back(client, alice, settings):
    fail(client, "alice", settings.AXES_FAILURE_LIMIT)
    before = list(AccessAttempt.objects.values_list("failures_since_start", "attempt_time"))
    assert fail(client, "alice", 3) == [429] * 3
    assert sign_in(client).status_code == 429
    assert list(AccessAttempt.objects.values_list("failures_since_start", "attempt_time")) == before


# The throttle on an address that tries many usernames


def test_an_address_that_fails_for_too_many_usernames_is_refused_for_everyone(
    client, alice, settings
):
    limit = settings.LOGIN_ADDRESS_USERNAME_LIMIT
    for n in range(limit):
        assert fail(client, f"guess{n}") == [200]
    # That many usernames is still allowed: alice signs in from the address.
    assert sign_in(Client(), ip=OFFICE).status_code == 302
    # One more and the address is refused, the right password included; elsewhere is fine.
    assert fail(client, "one-too-many") == [429]
    assert sign_in(Client(), ip=OFFICE).status_code == 429
    assert sign_in(Client(), ip=ELSEWHERE).status_code == 302


def test_the_address_username_limit_comes_from_settings(client, alice, settings):
    settings.LOGIN_ADDRESS_USERNAME_LIMIT = 2
    assert fail(client, "guess0") + fail(client, "guess1") == [200, 200]
    assert fail(client, "guess2") == [429]
    assert sign_in(Client(), ip=OFFICE).status_code == 429


def test_an_address_is_refused_after_its_total_failure_limit(client, alice, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 6
    assert fail(client, "carol", settings.AXES_FAILURE_LIMIT - 1) == [200] * 4
    assert fail(client, "dave") == [200]  # five failures from the address in all
    assert fail(client, "dave") == [429]  # the sixth
    assert sign_in(Client(), ip=OFFICE).status_code == 429
    assert sign_in(Client(), ip=ELSEWHERE).status_code == 302


def test_the_address_check_costs_the_same_queries_however_many_failures_it_holds(alice):
    def refused_sign_in_queries(ip: str) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            assert sign_in(Client(), ip=ip).status_code == 429
        return [query["sql"] for query in queries]

    failure_rows(OFFICE, usernames=25)
    few = refused_sign_in_queries(OFFICE)
    failure_rows(ELSEWHERE, usernames=2_000)
    many = refused_sign_in_queries(ELSEWHERE)
    assert len(few) == len(many) <= 12
    counts = [sql for sql in many if "COUNT(DISTINCT" in sql]
    assert len(counts) == 1 and '"ip_address" =' in counts[0]


def failure_rows(ip: str, *, usernames: int) -> None:
    AccessAttempt.objects.bulk_create(
        AccessAttempt(
            username=f"guess{n}",
            ip_address=ip,
            user_agent="test",
            http_accept="*/*",
            path_info="/accounts/login/",
            get_data="",
            post_data="",
            failures_since_start=1,
        )
        for n in range(usernames)
    )


# When to try again


def test_the_lockout_page_says_the_account_is_locked_here_and_when_to_try_again(
    client, alice, settings
):
    fail(client, "alice", settings.AXES_FAILURE_LIMIT)
    ten_minutes_ago = timezone.now() - datetime.timedelta(minutes=10)
    AccessAttempt.objects.update(attempt_time=ten_minutes_ago)
    refused = sign_in(client)
    assert refused.status_code == 429
    text = refused.content.decode()
    assert "for this account from your network address: it is locked here" in text
    ends_at = timezone.localtime(ten_minutes_ago + cool_off(settings))
    assert (
        f'Try again at <time datetime="{ends_at.isoformat()}">{ends_at:%H:%M}</time>, '
        "in 5 minutes." in text
    )
    assert refused["Retry-After"] == "300"


def test_the_lockout_page_of_an_address_gives_the_time_its_oldest_failures_age_out(
    client, alice, settings
):
    settings.LOGIN_ADDRESS_USERNAME_LIMIT = 2
    assert fail(client, "guess0") + fail(client, "guess1") + fail(client, "guess2") == [
        200,
        200,
        429,
    ]
    now = timezone.now()
    for username, minutes_ago in [("guess0", 14), ("guess1", 10), ("guess2", 5)]:
        AccessAttempt.objects.filter(username=username).update(
            attempt_time=now - datetime.timedelta(minutes=minutes_ago)
        )
    refused = sign_in(client)
    text = refused.content.decode()
    assert refused.status_code == 429
    assert "sign-in from this address is paused for everyone" in text
    # Two usernames are allowed: the address is free again once guess0 ages out.
    ends_at = timezone.localtime(now - datetime.timedelta(minutes=14) + cool_off(settings))
    assert f">{ends_at:%H:%M}</time>, in 1 minute." in text
    AccessAttempt.objects.filter(username="guess0").update(
        attempt_time=now - cool_off(settings) - datetime.timedelta(seconds=1)
    )
    assert sign_in(client).status_code == 302


def test_a_lock_ends_when_enough_of_its_oldest_failures_age_out(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.LOGIN_ADDRESS_USERNAME_LIMIT = 2
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 50
    nine = datetime.datetime(2024, 3, 1, 9, 0, tzinfo=datetime.UTC)
    minutes = datetime.timedelta(minutes=1)
    fifteen = 15 * minutes
    # Rows of one username from one address (one per browser): 2 + 2 + 4 failures lock; without
    # the oldest 6 still do; without the two oldest 4 do not.
    rows = [
        Failure("alice", 4, nine + 7 * minutes),
        Failure("alice", 2, nine),
        Failure("alice", 2, nine + 3 * minutes),
    ]
    assert lock_ends_at(rows, cool_off=fifteen, locks=account_locks) == nine + 18 * minutes
    assert lock_ends_at(rows[:1], cool_off=fifteen, locks=account_locks) is None
    # Three usernames from one address: free once the oldest ages out.
    guesses = [Failure(f"guess{n}", 1, nine + n * minutes) for n in range(3)]
    assert lock_ends_at(guesses, cool_off=fifteen, locks=address_locks) == nine + fifteen


# Unlocking from the admin


def test_an_administrator_unlocks_the_selected_attempts_and_it_is_logged(
    client, alice, bob, admin_client, settings, caplog
):
    caplog.set_level(logging.INFO, logger="concord.access")
    fail(client, "alice", settings.AXES_FAILURE_LIMIT)
    fail(Client(), "bob", settings.AXES_FAILURE_LIMIT, ip=ELSEWHERE)
    assert sign_in(client).status_code == 429
    response = admin_client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {
            "action": "unlock",
            "_selected_action": list(
                AccessAttempt.objects.filter(username="alice").values_list("pk", flat=True)
            ),
        },
        REMOTE_ADDR="192.0.2.99",
    )
    assert response.status_code == 302
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["bob"]
    assert sign_in(client).status_code == 302
    assert sign_in(Client(), username="bob", ip=ELSEWHERE).status_code == 429
    assert f"sign-in-unlocked user=admin ip=192.0.2.99 unlocked=alice address={OFFICE}" in (
        access_lines(caplog)
    )


def test_unlock_sign_in_on_the_user_admin_clears_that_users_failures_from_every_address(
    client, alice, bob, admin_client, settings, caplog
):
    caplog.set_level(logging.INFO, logger="concord.access")
    limit = settings.AXES_FAILURE_LIMIT
    fail(client, "alice", limit, ip=OFFICE)
    fail(client, "alice", limit, ip=ELSEWHERE)
    fail(client, "bob", limit, ip=OFFICE)
    response = admin_client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "unlock_sign_in", "_selected_action": [alice.pk]},
        REMOTE_ADDR="192.0.2.99",
    )
    assert response.status_code == 302
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"bob"}
    assert sign_in(Client(), ip=OFFICE).status_code == 302
    assert sign_in(Client(), ip=ELSEWHERE).status_code == 302
    assert sign_in(Client(), username="bob", ip=OFFICE).status_code == 429
    lines = access_lines(caplog)
    for ip in (OFFICE, ELSEWHERE):
        assert f"sign-in-unlocked user=admin ip=192.0.2.99 unlocked=alice address={ip}" in lines


def test_the_unlock_actions_are_offered_in_the_admin(client, alice, admin_client):
    fail(client, "alice")
    attempts = admin_client.get(reverse("admin:axes_accessattempt_changelist"))
    users = admin_client.get(reverse("admin:auth_user_changelist"))
    assert 'value="unlock"' in attempts.content.decode()
    assert 'value="unlock_sign_in"' in users.content.decode()


# Settings from the environment


def settings_in_a_fresh_process(**env: str) -> subprocess.CompletedProcess:
    names = "AXES_FAILURE_LIMIT LOGIN_ADDRESS_USERNAME_LIMIT LOGIN_ADDRESS_FAILURE_LIMIT"
    code = f"import config.settings as s; print(*(getattr(s, n) for n in {names.split()!r}))"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "SECRET_KEY": "x", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_lockout_limits_are_read_from_the_environment():
    assert settings_in_a_fresh_process().stdout.split() == ["5", "20", "50"]
    configured = settings_in_a_fresh_process(
        LOGIN_FAILURE_LIMIT="3", LOGIN_ADDRESS_USERNAME_LIMIT="7", LOGIN_ADDRESS_FAILURE_LIMIT="30"
    )
    assert configured.stdout.split() == ["3", "7", "30"]


@pytest.mark.parametrize(
    "name", ["LOGIN_FAILURE_LIMIT", "LOGIN_ADDRESS_USERNAME_LIMIT", "LOGIN_ADDRESS_FAILURE_LIMIT"]
)
def test_a_lockout_limit_below_one_stops_start_up(name):
    result = settings_in_a_fresh_process(**{name: "0"})
    assert result.returncode != 0
    assert f"{name} must be at least 1" in result.stderr


# The client address behind a proxy


def test_behind_a_proxy_the_lock_keys_on_the_forwarded_client_not_what_it_claims(
    client, alice, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(settings.AXES_FAILURE_LIMIT):
        # The left-most entry is the client's own claim, different every time.
        sign_in(
            client, password="wrong", ip=PROXY, HTTP_X_FORWARDED_FOR=f"198.18.0.{n}, 192.0.2.10"
        )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"192.0.2.10"}
    assert sign_in(client, ip=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.10").status_code == 429
    forged = sign_in(client, ip=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.11, 192.0.2.10")
    assert forged.status_code == 429
    # Another client behind the same proxy is a different address.
    assert sign_in(Client(), ip=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.11").status_code == 302


def test_behind_a_proxy_with_no_proxy_counted_every_visitor_shares_its_address(
    client, alice, settings
):
    settings.TRUSTED_PROXY_COUNT = 0
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, password="wrong", ip=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.10")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {PROXY}
    assert sign_in(Client(), ip=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.11").status_code == 429


# Hostile input


@pytest.mark.parametrize("username", ["x" * 10_000, "\x00admin", "ali\x00ce", "a" * 151])
def test_usernames_the_form_refuses_give_a_page_and_lock_nobody_else(client, alice, username):
    statuses = fail(client, username, 3)
    assert set(statuses) <= {200, 429}
    assert sign_in(Client(), ip=OFFICE).status_code == 302
    for stored in AccessAttempt.objects.values_list("username", flat=True):
        assert len(stored) <= 150 and "\x00" not in stored


@pytest.mark.parametrize(
    "username",
    ["ខ្មែរ", "Ａｌｉｃｅ", "😀" * 150, "\u202eecila", "' OR '1'='1", "alice\r\nsign-in user=admin"],
)
def test_unusual_usernames_are_counted_and_locked_like_any_other(client, alice, settings, username):
    limit = settings.AXES_FAILURE_LIMIT
    statuses = fail(client, username, limit + 1)
    assert statuses == [200] * (limit - 1) + [429, 429]
    # As the sign-in form reads it: NFKC-normalised, so "Ａｌｉｃｅ" counts as "Alice".
    assert AccessAttempt.objects.get().username == unicodedata.normalize("NFKC", username)
    assert sign_in(Client(), ip=OFFICE).status_code == 302


def test_a_forwarded_header_that_is_no_address_falls_back_to_the_proxy(client, alice, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for forwarded in ["<script>", "999.1.1.1", "203.0.113.9:443, ,", "\x00"]:
        assert fail(client, "alice", ip=PROXY, HTTP_X_FORWARDED_FOR=forwarded) == [200]
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {PROXY}
