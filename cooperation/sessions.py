"""The idle timeout without a database write on every request.

A signed-in session ends SESSION_IDLE_TIMEOUT seconds after it was last used. Rather than
saving the session on every request (SESSION_SAVE_EVERY_REQUEST), `SessionRefreshMiddleware`
saves it, pushing its expiry forward, when it was last saved more than
SESSION_REFRESH_SECONDS ago: a session still ends between SESSION_IDLE_TIMEOUT minus that and
SESSION_IDLE_TIMEOUT after its last use, and a reader's pages cost no write.
"""

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY

REFRESHED = "_concord_refreshed"


class SessionRefreshMiddleware:
    """Sits right after SessionMiddleware, so its response runs before the session's save."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return response
        if SESSION_KEY in session:
            now = int(time.time())
            if now - session.get(REFRESHED, 0) >= settings.SESSION_REFRESH_SECONDS:
                session[REFRESHED] = now
        return response
