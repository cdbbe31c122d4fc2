"""`/healthz`: whether the database and the broker answer, for load balancers and people.

200 when both are up (or no broker is configured, tasks then run in-process), 503 when either
is down; the JSON body says which. Each check is bounded in time so a dead service makes the
answer slow by a few seconds at most, never hang.
"""

from django.conf import settings
from django.db import connections
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

CHECK_TIMEOUT = 3.0


def database_state() -> tuple[bool, str]:
    """Run one query. Django checks the connection at the start of each request
    (CONN_HEALTH_CHECKS), so a server that went away is found here, not hidden by a cache."""
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        if not connection.in_atomic_block:
            # Drop the broken connection: the next request opens a fresh one.
            try:
                connection.close()
            except Exception:
                pass
        return False, _("down: %(error)s") % {"error": type(error).__name__}
    return True, _("ok")


def broker_state() -> tuple[bool, str]:
    """Open a connection to the broker and close it again."""
    url = settings.CELERY_BROKER_URL
    if not url:
        return True, _("not configured (tasks run in-process)")
    try:
        from kombu import Connection

        options = {"socket_connect_timeout": CHECK_TIMEOUT, "socket_timeout": CHECK_TIMEOUT}
        with Connection(url, connect_timeout=CHECK_TIMEOUT, transport_options=options) as conn:
            conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT)
    except Exception as error:
        return False, _("down: %(error)s") % {"error": type(error).__name__}
    return True, _("ok")


@never_cache
@require_GET
def healthz(request):
    """The state of the database and the broker, 200 when both answer and 503 otherwise."""
    db_ok, db_text = database_state()
    broker_ok, broker_text = broker_state()
    status = 200 if db_ok and broker_ok else 503
    return JsonResponse(
        {
            "status": "ok" if status == 200 else "unavailable",
            "database": db_text,
            "broker": broker_text,
        },
        status=status,
    )
