"""One log line per security event: sign-in, failed sign-in, lockout, permission refusal,
report request — each with the user and the client address.

Lines go to the `concord.access` logger, e.g.
``sign-in user=alice ip=203.0.113.9``.
"""

import ipaddress
import logging

from axes.backends import AxesStandaloneBackend
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

logger = logging.getLogger("concord.access")


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind proxies the X-Forwarded-For entry the
    nearest trusted proxy added (entries further left are whatever the client sent)."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) >= proxies:
        candidate = forwarded[-proxies]
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            return remote
    return remote


def throttled_username(request, credentials) -> str | None:
    """The username django-axes counts failures for: as typed, cut to the longest a username
    can be, without NUL characters, so a hostile value cannot break the attempt log."""
    value = (credentials or {}).get("username")
    if value is None and request is not None:
        value = request.POST.get("username")
    if value is None:
        return None
    return str(value).replace("\x00", "")[:150]


def _quote(value) -> str:
    """A value safe to put in one log line: no spaces or line breaks an attacker could inject."""
    text = str(value) if value not in (None, "") else "-"
    return "".join(c if c.isprintable() and not c.isspace() else "_" for c in text)[:150]


def log_event(event: str, *, request=None, user=None, username=None, **details) -> None:
    """Write one access line: the event, the user, the client address, then any details."""
    if username is None:
        if user is None and request is not None:
            user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            username = user.get_username()
    fields = [f"user={_quote(username)}", f"ip={_quote(client_ip(request))}"]
    fields += [f"{key}={_quote(value)}" for key, value in details.items()]
    logger.info("%s %s", event, " ".join(fields))


@receiver(user_logged_in, dispatch_uid="concord_log_sign_in")
def log_sign_in(sender, request, user, **kwargs):
    log_event("sign-in", request=request, user=user)


@receiver(user_logged_out, dispatch_uid="concord_log_sign_out")
def log_sign_out(sender, request, user, **kwargs):
    log_event("sign-out", request=request, user=user)


@receiver(user_login_failed, dispatch_uid="concord_log_failed_sign_in")
def log_failed_sign_in(sender, credentials, request=None, **kwargs):
    log_event("sign-in-failed", request=request, username=credentials.get("username"))


@receiver(user_locked_out, dispatch_uid="concord_log_lockout")
def log_lockout(sender, request, username=None, ip_address=None, **kwargs):
    log_event("lockout", request=request, username=username)


class PermissionRefusalLogMiddleware:
    """Logs every refusal: a 403 anywhere, and a signed-in user without staff rights
    turned back at the admin's door (which answers with its sign-in form, not a 403)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if response.status_code == 403:
            log_event("permission-refused", request=request, path=request.path)
        elif (
            user is not None
            and user.is_authenticated
            and not user.is_staff
            and getattr(request.resolver_match, "namespace", "") == "admin"
        ):
            log_event("permission-refused", request=request, path=request.path)
        return response


class SignInThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check, skipped when there is no request to throttle: code that
    authenticates outside a web request (the test client's login(), a shell) has no client
    to lock out, and axes would refuse it outright."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
