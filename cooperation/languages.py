"""The language a page speaks: a signed-in user's saved choice, else the language cookie that
the switcher sets, else the browser's Accept-Language (Django's LocaleMiddleware)."""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import translation

from cooperation.models import Preferences

# Each language by its own name, as the switcher shows it (Django names Khmer in English).
OWN_NAMES = {"en": "English", "fr": "Français", "km": "ខ្មែរ"}
# The saved choice, copied into the session at sign-in so pages read it without a query.
SESSION_KEY = "concord-language"


def language_remember(*, request, language: str) -> None:
    """Save `language` as the signed-in user's choice, for this session and the next ones."""
    Preferences.objects.update_or_create(user=request.user, defaults={"language": language})
    request.session[SESSION_KEY] = language


@receiver(user_logged_in, dispatch_uid="concord_language_at_sign_in")
def language_restore(sender, request, user, **kwargs) -> None:
    language = (
        Preferences.objects.filter(user=user).values_list("language", flat=True).first() or ""
    )
    if request is not None and hasattr(request, "session") and language:
        request.session[SESSION_KEY] = language


class PreferredLanguageMiddleware:
    """After authentication: a signed-in user's saved language wins over cookie and browser."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        if language and request.user.is_authenticated and language != request.LANGUAGE_CODE:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


def switcher(request) -> dict:
    """Context processor: the languages to offer, each by its own name."""
    return {
        "switch_languages": [
            (code, OWN_NAMES.get(code, code)) for code, _name in settings.LANGUAGES
        ]
    }
