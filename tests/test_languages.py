"""Choosing a language: the switcher on every page (Django's set_language), a signed-in user's
choice kept for their next sessions, Accept-Language for everyone else; `<html lang dir>`."""

import re

import pytest
from django.test import Client

from cooperation.models import Preferences
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGES = ["/", "/timeline/", "/partners/", "/meetings/", "/commitments/", "/reports/", "/search/"]


def html_lang(response) -> tuple[str, str]:
    match = re.search(r'<html lang="([^"]+)" dir="([^"]+)"', response.content.decode())
    assert match, response.content[:300]
    return match.group(1), match.group(2)


def pressed(response) -> list[str]:
    return re.findall(
        r'name="language" value="([a-z]+)" lang="[a-z]+" aria-pressed="true"',
        response.content.decode(),
    )


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_the_switcher_and_says_its_language(client, seed, path):
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    assert response.status_code == 200
    assert html_lang(response) == ("fr", "ltr")
    assert pressed(response) == ["fr"]
    body = response.content.decode()
    for code, name in (("en", "English"), ("fr", "Français"), ("km", "ខ្មែរ")):
        assert f'value="{code}" lang="{code}"' in body
        assert f">{name}</button>" in body


def test_without_a_choice_the_browser_decides_and_english_is_the_default(client, seed):
    assert html_lang(client.get("/", HTTP_ACCEPT_LANGUAGE="km-KH,km"))[0] == "km"
    assert html_lang(client.get("/", HTTP_ACCEPT_LANGUAGE="de-DE,de"))[0] == "en"
    assert html_lang(Client().get("/"))[0] == "en"


def test_a_visitor_switches_and_lands_back_on_the_page(client, seed):
    response = client.post("/i18n/setlang/", {"language": "km", "next": "/timeline/"})
    assert response.status_code == 302
    assert response["Location"] == "/timeline/"
    assert html_lang(client.get("/timeline/", HTTP_ACCEPT_LANGUAGE="en"))[0] == "km"
    assert not Preferences.objects.exists()


def test_the_cached_page_of_one_language_is_never_served_in_another(client, seed, settings):
    settings.PAGE_CACHE_SECONDS = 60
    for language in ("fr", "km", "en", "fr"):
        assert html_lang(Client().get("/", HTTP_ACCEPT_LANGUAGE=language))[0] == language


def test_a_signed_in_users_choice_follows_them_to_their_next_session(seed):
    user = UserFactory(username="sokha")
    user.set_password("a-long-passphrase-1")
    user.save()
    first = Client()
    first.force_login(user)
    first.post("/i18n/setlang/", {"language": "km", "next": "/"})
    assert Preferences.objects.get(user=user).language == "km"

    elsewhere = Client()  # another browser: no cookie, a browser asking for English
    response = elsewhere.post(
        "/accounts/login/",
        {"username": "sokha", "password": "a-long-passphrase-1"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    assert html_lang(elsewhere.get("/partners/", HTTP_ACCEPT_LANGUAGE="en"))[0] == "km"

    elsewhere.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert html_lang(elsewhere.get("/", HTTP_ACCEPT_LANGUAGE="en"))[0] == "fr"
    assert Preferences.objects.get(user=user).language == "fr"


@pytest.mark.parametrize("language", ["xx", "", "km'><script>", "e" * 5000])
def test_an_unknown_language_changes_nothing_and_breaks_nothing(client, seed, language):
    user = UserFactory(username="dara")
    client.force_login(user)
    response = client.post("/i18n/setlang/", {"language": language, "next": "/"})
    assert response.status_code == 302
    assert html_lang(client.get("/"))[0] == "en"
    assert not Preferences.objects.exists()


def test_switching_is_a_post_with_its_csrf_token(seed):
    csrf_client = Client(enforce_csrf_checks=True)
    assert csrf_client.get("/i18n/setlang/").status_code == 405
    assert csrf_client.post("/i18n/setlang/", {"language": "fr"}).status_code == 403


def test_next_may_not_leave_the_site(client, seed):
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
