"""No leaks through the API: every API list and detail address walked anonymously, with
internal records and public records linked to internal ones present (the page walk's own
records, `tests/test_leaks.py`), never shows an internal word or figure; walked with a
Viewer's token, every one of them shows somewhere (the positive control)."""

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.test_leaks import SECRETS, concrete_urls, leaks_in, walk, walk_patterns
from tests.test_leaks import records as leak_records

records = leak_records  # the page walk's records, as this module's fixture


def api_urls() -> list[str]:
    return [url for url in concrete_urls() if url.startswith("/api/")]


def api_routes() -> list[str]:
    return sorted({route for route, _ in walk_patterns() if route.startswith("api/")})


def test_every_api_list_and_detail_is_walked(records):
    routes = api_routes()
    kinds = ["partners", "people", "memberships", "topics", "sources", "meetings"]
    kinds += ["commitments", "complaint-counts", "milestones"]
    for kind in kinds:
        assert any(route.startswith(f"api/{kind}/") and "<" not in route for route in routes)
        assert any(route.startswith(f"api/{kind}/<") for route in routes), kind
    urls = api_urls()
    for kind in kinds:
        assert f"/api/{kind}/" in urls
        assert any(url.startswith(f"/api/{kind}/") and url.count("/") == 4 for url in urls)


def test_anonymous_api_walk_shows_no_internal_record(records, capsys):
    urls = api_urls()
    problems, answered = [], {}
    for url, response, text in walk(APIClient(), urls):
        answered[response.status_code] = answered.get(response.status_code, 0) + 1
        if response.status_code >= 500:
            problems.append(f"{url}: {response.status_code}")
        problems += [f"{url}: {leak}" for leak in leaks_in(text)]
    assert problems == [], "\n".join(problems)
    assert answered.get(200, 0) > 30
    with capsys.disabled():
        print(f"\nanonymous API walk: {len(urls)} URLs, answered {answered}, no leaks")
        print("API routes walked: " + ", ".join("/" + route for route in api_routes()))


def test_a_viewer_token_finds_every_internal_record_through_the_api(records, viewer):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=viewer).key}")
    seen = set()
    for url, response, text in walk(client, api_urls()):
        assert response.status_code < 500, url
        seen.update(leaks_in(text))
    missing = [f"{what}: {word}" for what, word in SECRETS.items() if f"{what}: {word}" not in seen]
    assert missing == []
    assert any(item.startswith("figure") for item in seen)
