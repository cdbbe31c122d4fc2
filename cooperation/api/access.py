"""Who may call the API, and how often."""

from rest_framework import permissions, throttling
from rest_framework.settings import api_settings


class ReadOrEditorCreate(permissions.DjangoModelPermissionsOrAnonReadOnly):
    """Anyone may read (the visibility policy decides which records); a write needs a signed-in
    user holding the model's permission, as in the admin (Editors add, Viewers do not)."""

    authenticated_users_only = False

    def has_permission(self, request, view):
        if request.method not in view.allowed_methods:
            return True  # whoever asks, the view answers 405 Method Not Allowed
        return super().has_permission(request, view)


class LiveRatesMixin:
    """Reads its rate from the settings at each request, so a changed setting takes effect
    without a restart of the class (DRF binds the rates when the module loads)."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonymousThrottle(LiveRatesMixin, throttling.AnonRateThrottle):
    """API_ANON_RATE requests per client address, for callers without a token or session."""


class UserThrottle(LiveRatesMixin, throttling.UserRateThrottle):
    """API_USER_RATE requests per signed-in user."""
