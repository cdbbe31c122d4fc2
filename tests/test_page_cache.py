"""The page cache: entries per audience and data version, so an edit shows on the next request,
an internal record never reaches a public entry, and a dead cache server costs speed, not pages.

Transactional tests: the data version moves on when a write commits, as in production.
"""

import re
import shutil
import socket
import subprocess
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse

from bench.load import free_port
from cooperation import models
from cooperation.cache import data_version
from cooperation.models import Visibility
from cooperation.services import record_update
from tests import factories
from tests.test_admin import CITATIONS, management

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def page_cache(settings):
    """The cache on, empty, in this process's memory."""
    settings.PAGE_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


def test_a_second_visit_is_served_from_the_cache(
    client, seed, page_cache, django_assert_num_queries
):
    url = reverse("cooperation:dashboard")
    first = client.get(url).content
    with django_assert_num_queries(1):  # the data version, nothing else
        again = client.get(url).content
    assert tokenless(again) == tokenless(first)


def test_an_edit_in_the_admin_shows_on_the_next_request(client, seed, page_cache):
    partner = models.Partner.objects.get(slug="ministry-of-interior")
    url = partner.get_absolute_url()
    assert "Rewritten by the test" not in client.get(url).content.decode()
    version = data_version()

    # A transactional test starts from an empty database: no roles, so a superuser.
    editor = get_user_model().objects.create_superuser("cache-editor", password="x" * 20)
    admin = type(client)()
    admin.force_login(editor)
    citation = partner.citations.first()
    response = admin.post(
        reverse("admin:cooperation_partner_change", args=[partner.pk]),
        {
            "name": partner.name,
            "short_name": partner.short_name,
            "slug": partner.slug,
            "kind": partner.kind,
            "country": partner.country,
            "description": "Rewritten by the test.",
            "language": partner.language,
            "visibility": partner.visibility,
            "owner": partner.owner_id or "",
            "parent": partner.parent_id or "",
            **management(CITATIONS, 1),
            f"{CITATIONS}-INITIAL_FORMS": "1",
            f"{CITATIONS}-0-id": citation.pk,
            f"{CITATIONS}-0-source": citation.source_id,
            f"{CITATIONS}-0-passage": citation.passage,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors

    assert data_version() > version
    assert "Rewritten by the test" in client.get(url).content.decode()


def test_a_write_that_is_rolled_back_leaves_the_version(seed, page_cache):
    from django.db import transaction

    version = data_version()
    meeting = models.Meeting.objects.first()
    with pytest.raises(RuntimeError), transaction.atomic():
        record_update(record=meeting, changes={"title": "Never kept"})
        raise RuntimeError
    assert data_version() == version
    record_update(record=meeting, changes={"title": "Kept"})
    assert data_version() == version + 1  # once for the whole write, its history included


@pytest.mark.parametrize("signed_in_first", [True, False])
@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/timeline/",
        "/timeline/?kind=meeting",
        "/partners/owner-organisation/",
        "/meetings/",
        "/meetings/?sort=-date&page=1",
    ],
)
def test_an_internal_record_is_never_served_from_a_public_entry(
    client, page_cache, url, signed_in_first
):
    owner = factories.default_owner()
    factories.MeetingFactory(title="Public talks", partners=[owner])
    factories.MeetingFactory(
        title="Internal briefing", visibility=Visibility.INTERNAL, partners=[owner]
    )
    member = factories.UserFactory(username="cache-member")
    models.Membership.objects.create(user=member, partner=owner)
    member_client = type(client)()
    member_client.force_login(member)

    def anonymous_page():
        return client.get(url).content.decode()

    def member_page():
        return member_client.get(url).content.decode()

    order = [member_page, anonymous_page] if signed_in_first else [anonymous_page, member_page]
    pages = {reader.__name__: reader() for reader in order}
    pages |= {f"{reader.__name__} again": reader() for reader in order}  # now from the cache
    for name, html in pages.items():
        assert "Public talks" in html, name
        assert ("Internal briefing" in html) == name.startswith("member"), name


@pytest.fixture
def redis_server():
    """A Redis server of this test's own, to stop at will."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield server, f"redis://127.0.0.1:{port}/0"
    server.kill()
    server.wait()


def redis_cache(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "cooperation.cache.FailSafeRedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


def test_pages_are_served_in_redis_and_still_served_when_it_dies(
    client, seed, settings, redis_server
):
    server, url = redis_server
    settings.CACHES = redis_cache(url)
    settings.PAGE_CACHE_SECONDS = 300
    from cooperation.cache import FailSafeRedisCache

    FailSafeRedisCache._down_until = 0.0
    import redis

    first = client.get("/")
    assert first.status_code == 200
    keys = redis.Redis.from_url(url).keys("*fragment:dashboard:*")
    assert len(keys) == 1

    server.kill()
    server.wait()
    meeting = models.Meeting.objects.first()
    record_update(record=meeting, changes={"title": "Written while the cache was down"})
    for path in ("/", "/timeline/", "/partners/ministry-of-interior/"):
        response = client.get(path)
        assert response.status_code == 200, path
    assert "Written while the cache was down" in client.get("/timeline/").content.decode()
    FailSafeRedisCache._down_until = 0.0


def test_an_unreachable_cache_server_is_no_error(client, seed, settings):
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{free_port()}/0")
    settings.PAGE_CACHE_SECONDS = 300
    from cooperation.cache import FailSafeRedisCache

    FailSafeRedisCache._down_until = 0.0
    assert cache.get("anything", "missing") == "missing"
    cache.set("anything", 1)  # dropped, not raised
    assert client.get("/").status_code == 200
    FailSafeRedisCache._down_until = 0.0


def test_a_visitor_without_state_gets_the_whole_page_from_the_cache(
    client, seed, page_cache, django_assert_num_queries
):
    for url in ("/", "/timeline/", "/meetings/", "/complaints/?sort=-count"):
        first = client.get(url).content
        with django_assert_num_queries(1):  # the data version, nothing else
            assert tokenless(client.get(url).content) == tokenless(first)
    profile = "/partners/ministry-of-interior/"  # it holds a form: each visit, its own token
    first = client.get(profile).content.decode()
    with django_assert_num_queries(1):
        again = client.get(profile).content.decode()
    assert again != first and again.replace(token_of(again), "") == first.replace(
        token_of(first), ""
    )


def tokenless(content: bytes) -> bytes:
    """A page without its forms' CSRF tokens (the language switcher's among them), which
    differ on every visit."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)


def token_of(html: str) -> str:
    return html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]


def test_a_page_with_a_form_keeps_each_visitors_own_csrf_token(seed, page_cache):
    from django.test import Client

    url = reverse("cooperation:partner-detail", args=["ministry-of-interior"])
    for visitor in (Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)):
        html = visitor.get(url).content.decode()
        token = token_of(html)
        dossier = reverse("cooperation:report-dossier", args=["ministry-of-interior"])
        assert visitor.post(dossier, {"csrfmiddlewaretoken": token}).status_code != 403


def test_downloads_are_never_kept_as_pages(client, seed, page_cache):
    for _ in range(2):
        response = client.get("/meetings/?_export=xlsx")
        assert response.status_code == 200
        assert "concord-meetings.xlsx" in response["Content-Disposition"]
