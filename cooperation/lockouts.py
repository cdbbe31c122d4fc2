"""Sign-in lockouts that fit offices, where many people share one address behind a gateway.

django-axes keeps one `AccessAttempt` row per username, address and browser: how many sign-ins
failed since the row was made, and when the last one did. A row counts until the cool-off
(LOGIN_COOLOFF_MINUTES) has passed since its last failure. From the rows that count:

- a username is locked *from one address* after LOGIN_FAILURE_LIMIT failures there (axes' own
  check, with `AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]`); colleagues behind the
  same gateway, and the same person elsewhere, still sign in;
- an address is refused for every username once it has failed for more than
  LOGIN_ADDRESS_USERNAME_LIMIT usernames, or LOGIN_ADDRESS_FAILURE_LIMIT times in all
  (`SignInLockoutHandler`: one aggregate query, found through the index on the address).

Refused sign-ins are not recorded (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT is off), so the
time the lockout page gives holds however often someone retries, and an address never has more
than about LOGIN_ADDRESS_FAILURE_LIMIT rows that count.
"""

import datetime
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db import transaction
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from cooperation.access_log import log_event


@dataclass(frozen=True)
class Failure:
    """One `AccessAttempt` row as a lock reads it."""

    username: str | None
    failures: int
    last_failed_at: datetime.datetime


def address_over_limits(*, usernames: int, failures: int) -> bool:
    """Whether an address's recent failures throttle it: too many usernames, or too many in all."""
    return (
        usernames > settings.LOGIN_ADDRESS_USERNAME_LIMIT
        or failures >= settings.LOGIN_ADDRESS_FAILURE_LIMIT
    )


def address_locks(failures: Sequence[Failure]) -> bool:
    """Whether these failures, all from one address, throttle it."""
    usernames = {failure.username for failure in failures if failure.username is not None}
    return address_over_limits(
        usernames=len(usernames), failures=sum(failure.failures for failure in failures)
    )


def account_locks(failures: Sequence[Failure]) -> bool:
    """Whether these failures, of one username from one address, lock that username there."""
    return sum(failure.failures for failure in failures) >= settings.AXES_FAILURE_LIMIT


def lock_ends_at(
    failures: Sequence[Failure],
    *,
    cool_off: datetime.timedelta,
    locks: Callable[[Sequence[Failure]], bool],
) -> datetime.datetime | None:
    """When the lock these failures make ends, or None if they make none. Each row stops
    counting `cool_off` after its last failure, the oldest first; the lock ends when the rows
    still counting no longer make it."""
    counting = sorted(failures, key=attrgetter("last_failed_at"))
    ends_at = None
    while counting and locks(counting):
        ends_at = counting.pop(0).last_failed_at + cool_off
    return ends_at


def recent_attempts_from_address(request: HttpRequest) -> QuerySet[AccessAttempt]:
    """The failure rows of the request's address that still count."""
    return AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address, attempt_time__gte=get_cool_off_threshold(request)
    )


def address_is_throttled(request: HttpRequest) -> bool:
    """Whether the request's address is refused for every username: one aggregate query."""
    if request.axes_ip_address is None:
        return False
    totals = recent_attempts_from_address(request).aggregate(
        usernames=Count("username", distinct=True),
        failures=Coalesce(Sum("failures_since_start"), 0),
    )
    return address_over_limits(**totals)


class SignInLockoutHandler(AxesDatabaseHandler):
    """django-axes' database handler, with the address throttle beside its username lock."""

    def is_locked(self, request, credentials=None) -> bool:
        return super().is_locked(request, credentials) or address_is_throttled(request)

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or request.axes_locked_out or self.is_whitelisted(request, credentials):
            return
        # Axes locks on the failure that reaches its own limit; this one reached the address's.
        if address_is_throttled(request):
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes",
                request=request,
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
            )


@dataclass(frozen=True)
class Lockout:
    """What refused a sign-in, and when the person may try again."""

    address_throttled: bool
    ends_at: datetime.datetime

    def minutes_left(self) -> int:
        seconds = (self.ends_at - timezone.now()).total_seconds()
        return max(1, math.ceil(seconds / 60))


def lockout_for(request: HttpRequest, credentials: dict | None = None) -> Lockout:
    """The lockout a refused sign-in meets, read from its address's failure rows (one query)."""
    cool_off = get_cool_off(request)
    username = get_client_username(request, credentials)
    recent = []
    if request.axes_ip_address is not None:
        rows = recent_attempts_from_address(request).values_list(
            "username", "failures_since_start", "attempt_time"
        )
        recent = [Failure(*row) for row in rows]
    address_ends_at = lock_ends_at(recent, cool_off=cool_off, locks=address_locks)
    account_ends_at = lock_ends_at(
        [failure for failure in recent if failure.username == username],
        cool_off=cool_off,
        locks=account_locks,
    )
    ends_at = max(
        (moment for moment in (address_ends_at, account_ends_at) if moment is not None),
        # Locked without a row to show for it (a row just unlocked, or a failure without an
        # address): say the whole cool-off rather than nothing.
        default=request.axes_attempt_time + cool_off,
    )
    return Lockout(address_throttled=address_ends_at is not None, ends_at=ends_at)


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """The page a refused sign-in gets: 429, in the site's look, saying whether the username
    from this address or the address itself is locked, and when to try again."""
    lockout = lockout_for(request, credentials)
    minutes = lockout.minutes_left()
    response = render(
        request,
        "registration/locked_out.html",
        {"lockout": lockout, "minutes": minutes},
        status=429,
    )
    response["Retry-After"] = str(minutes * 60)
    return response


def sign_in_unlock(*, attempts: QuerySet[AccessAttempt], request: HttpRequest) -> int:
    """Delete these failure rows, so the usernames and addresses they lock sign in again; one
    access line per username and address unlocked. Returns how many rows went."""
    with transaction.atomic():
        pairs = list(
            attempts.order_by("username", "ip_address")
            .values_list("username", "ip_address")
            .distinct()
        )
        _, deleted = attempts.delete()
    for username, ip_address in pairs:
        log_event("sign-in-unlocked", request=request, unlocked=username, address=ip_address)
    return deleted.get(AccessAttempt._meta.label, 0)
