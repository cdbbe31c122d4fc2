"""The page cache: rendered fragments keyed by who reads them and by the data version.

A fragment (the body of the dashboard, a timeline page, a partner's profile, a table page) is
stored under its name, the reader's audience (`visibility.audience_key`: anonymous, one set of
organisations, or everything), the language, the full path and the data version. The data
version is a number in the database that every committed write to the records moves on
(`data_changed`, connected in `apps.py`), so the entry read after an edit is a new one, in
every process, whichever cache they share; an internal record is never in an entry another
audience can read. A visitor who carries no state (not signed in, no session, no messages) is
served the whole page from one entry (`anonymous_page_cache`), with a CSRF token of their own
in its forms. Entries otherwise expire after PAGE_CACHE_SECONDS; 0 turns the cache off.

The cache is Redis in production (CACHE_URL) and local memory otherwise. When the cache
server is down `FailSafeRedisCache` answers as an empty cache, so pages are built afresh
(slower), never refused.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.apps import apps as django_apps
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import F
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import get_token
from django.template.response import SimpleTemplateResponse
from django.utils.functional import SimpleLazyObject
from redis.exceptions import RedisError

from cooperation import visibility

logger = logging.getLogger(__name__)

# Writes to these do not change what the pages show.
NOT_DATA = {"report", "dataversion", "preferences", "follow", "digest"}
# A visitor carrying one of these has state of their own (signed in, messages waiting).
_STATE_COOKIES = (settings.SESSION_COOKIE_NAME, "messages")


def data_version() -> int:
    """The current data version (0 before the first counted write)."""
    from cooperation.models import DataVersion

    return DataVersion.objects.filter(pk=1).values_list("number", flat=True).first() or 0


def data_version_bump() -> None:
    """Move the data version on, now; `data_changed` calls it once a write commits."""
    from cooperation.models import DataVersion

    if not DataVersion.objects.filter(pk=1).update(number=F("number") + 1):
        DataVersion.objects.get_or_create(pk=1, defaults={"number": 1})


def _bump_pending() -> bool:
    return any(callback is data_version_bump for _, callback, _ in connection.run_on_commit)


def data_changed(sender, **kwargs) -> None:
    """Signal receiver: a record, a link between records or a history row was written; the
    data version moves on when the transaction commits (once per transaction)."""
    meta = getattr(sender, "_meta", None)
    if meta is None or meta.app_label != "cooperation" or meta.model_name in NOT_DATA:
        return
    if meta.apps is not django_apps:
        return  # a migration's historical model: migrating is counted once it is done
    if kwargs.get("action", "").startswith("pre_"):
        return  # m2m_changed fires before and after; count the change once it is made
    if not _bump_pending():
        transaction.on_commit(data_version_bump)


def data_version_bump_after_migrate(*, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """post_migrate receiver: a migration may have changed records."""
    from cooperation.models import DataVersion

    if DataVersion._meta.db_table in connections[using].introspection.table_names():
        data_version_bump()


def page_cache_seconds() -> int:
    return settings.PAGE_CACHE_SECONDS


_VERSION_READ = "_concord_data_version"


def fragment_key(request, name: str) -> str:
    """The key of a page fragment for this request's reader, language, path and data (the
    data version is read once per request, however many fragments the page has)."""
    version = getattr(request, _VERSION_READ, None)
    if version is None:
        version = data_version()
        setattr(request, _VERSION_READ, version)
    parts = [
        name,
        visibility.audience_key(request.user),
        getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE),
        request.get_full_path(),
        str(version),
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return f"fragment:{name}:{digest}"


class FailSafeRedisCache(RedisCache):
    """Django's Redis cache that, when the server cannot be reached, logs it and answers as an
    empty cache (a get misses, a set is dropped) instead of raising; it then leaves the server
    alone for RETRY_SECONDS, so a dead server costs one failed connection every few seconds,
    not one per request."""

    RETRY_SECONDS = 5.0
    _down_until = 0.0

    def _guarded(self, default: Any, method: str, *args, **kwargs) -> Any:
        if time.monotonic() < self._down_until:
            return default
        try:
            return getattr(super(), method)(*args, **kwargs)
        except RedisError as error:
            type(self)._down_until = time.monotonic() + self.RETRY_SECONDS
            logger.warning("Cache server unreachable (%s); serving without it.", error)
            return default

    def get(self, key, default=None, version=None):
        return self._guarded(default, "get", key, default, version)

    def get_many(self, keys, version=None):
        return self._guarded({}, "get_many", keys, version)

    def has_key(self, key, version=None):
        return self._guarded(False, "has_key", key, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(None, "set", key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(list(data), "set_many", data, timeout, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(False, "add", key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(False, "touch", key, timeout, version)

    def incr(self, key, delta=1, version=None):
        return self._guarded(None, "incr", key, delta, version)

    def delete(self, key, version=None):
        return self._guarded(False, "delete", key, version)

    def delete_many(self, keys, version=None):
        return self._guarded(None, "delete_many", keys, version)

    def clear(self):
        return self._guarded(None, "clear")


def lazy(function: Callable[..., Any], /, **kwargs: Any) -> Any:
    """`function(**kwargs)`, computed only if a template uses it: a cached fragment that is
    served from the cache does not run the queries behind it."""
    return SimpleLazyObject(lambda: function(**kwargs))


def anonymous_page_cache(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Serve a whole page from the cache to visitors who carry no state: not signed in, no
    session, no messages. Only HTML pages are kept (never a download), and none that set a
    cookie. A form's CSRF token is kept out of the entry: each visitor served from it gets a
    token of their own, as if the page had been built for them."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        stateless = not any(name in request.COOKIES for name in _STATE_COOKIES)
        if not page_cache_seconds() or request.method != "GET" or not stateless:
            return view(request, *args, **kwargs)
        key = fragment_key(request, "page")
        kept = cache.get(key)
        if kept is not None:
            content, content_type = kept
            if _TOKEN_PLACE in content:
                content = content.replace(_TOKEN_PLACE, get_token(request).encode())
            return HttpResponse(content, content_type=content_type)
        response = view(request, *args, **kwargs)
        if isinstance(response, SimpleTemplateResponse):
            response.render()
        keep = (
            response.status_code == 200
            and not response.streaming
            and response.get("Content-Type", "").startswith("text/html")
            and not response.has_header("Content-Disposition")
            and not response.cookies
        )
        content = _without_tokens(response.content) if keep else None
        if content is not None:
            cache.set(key, (content, response["Content-Type"]), page_cache_seconds())
        return response

    return wrapped


# A form's CSRF token in a page, and what stands in for it in a kept page.
_TOKEN_FIELD = re.compile(rb'(name="csrfmiddlewaretoken" value=")([^"]+)(")')
_TOKEN_PLACE = b"\x00csrf-token\x00"


def _without_tokens(content: bytes) -> bytes | None:
    """The page with its forms' CSRF tokens taken out; None if a token shows anywhere else
    (such a page is not kept whole)."""
    tokens = {match.group(2) for match in _TOKEN_FIELD.finditer(content)}
    kept = _TOKEN_FIELD.sub(rb"\1" + _TOKEN_PLACE + rb"\3", content)
    if any(token in kept for token in tokens):
        return None
    return kept
