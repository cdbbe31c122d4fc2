"""Following: the follow button on partner profiles and commitment pages (signed-in readers
only, never in a shared cache entry), the Following page with its topics and digest choice,
and the follow endpoints' refusals of anonymous, hostile and out-of-sight requests."""

import re

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from cooperation import following
from cooperation.models import DigestFrequency, Follow, Membership, Preferences, Visibility
from tests import factories

pytestmark = pytest.mark.django_db

FOLLOW, UNFOLLOW = reverse("cooperation:follow"), reverse("cooperation:unfollow")
FOLLOWING = reverse("cooperation:following")


@pytest.fixture
def partner():
    return factories.PartnerFactory(name="Ministry of Interior", slug="moi")


@pytest.fixture
def commitment(partner):
    return factories.CommitmentFactory(title="Open three shelters", made_by=partner)


@pytest.fixture
def member():
    user = factories.UserFactory(username="member", email="member@example.org")
    factories.join_owners(user)
    return user


@pytest.fixture
def member_client(member):
    client = Client()
    client.force_login(member)
    return client


def follow_form(html: str) -> dict | None:
    """The follow button's form on a page: its action and hidden fields."""
    form = re.search(
        r'<form method="post" class="follow-form" action="([^"]+)">(.*?)</form>', html, re.S
    )
    if form is None:
        return None
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.group(2)))
    return {"action": form.group(1), **fields}


# The button ----------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["partner", "commitment"])
def test_the_button_follows_then_unfollows(member_client, member, partner, commitment, page):
    record = partner if page == "partner" else commitment
    url = record.get_absolute_url()
    form = follow_form(member_client.get(url).content.decode())
    assert form["action"] == FOLLOW and form["kind"] == page and form["record"] == str(record.pk)

    response = member_client.post(FOLLOW, form)
    assert response.status_code == 302 and response["Location"] == url
    assert following.is_following(user=member, record=record)
    page_html = member_client.get(url).content.decode()
    assert "You follow" in page_html  # the message
    form = follow_form(page_html)
    assert form["action"] == UNFOLLOW

    member_client.post(UNFOLLOW, form)
    assert not following.is_following(user=member, record=record)


@pytest.mark.parametrize("page", ["partner", "commitment"])
def test_anonymous_pages_carry_no_button_and_no_following_link(client, partner, commitment, page):
    record = partner if page == "partner" else commitment
    html = client.get(record.get_absolute_url()).content.decode()
    assert follow_form(html) is None
    assert FOLLOW not in html and FOLLOWING not in html


def test_the_button_is_never_served_from_a_shared_cache_entry(settings, partner, member):
    """Two readers of the same audience share the profile's cached body; each still sees
    their own button, and anonymous visitors none."""
    settings.PAGE_CACHE_SECONDS = 300
    colleague = factories.UserFactory(username="colleague")
    factories.join_owners(colleague)
    following.follow(user=member, record=partner)
    first, second = Client(), Client()
    first.force_login(member)
    second.force_login(colleague)
    url = partner.get_absolute_url()

    assert follow_form(first.get(url).content.decode())["action"] == UNFOLLOW
    assert follow_form(second.get(url).content.decode())["action"] == FOLLOW
    for _visit in range(2):  # the second anonymous visit is served whole from the cache
        assert follow_form(Client().get(url).content.decode()) is None
    assert follow_form(first.get(url).content.decode())["action"] == UNFOLLOW


def test_a_follow_goes_back_only_to_a_page_of_this_site(member_client, partner):
    data = {"kind": "partner", "record": partner.pk, "next": "https://evil.example/x"}
    assert member_client.post(FOLLOW, data)["Location"] == partner.get_absolute_url()
    data["next"] = "//evil.example/x"
    assert member_client.post(UNFOLLOW, data)["Location"] == partner.get_absolute_url()
    data["next"] = "/timeline/?partner=moi"
    assert member_client.post(FOLLOW, data)["Location"] == "/timeline/?partner=moi"


# The services --------------------------------------------------------------------------------


def test_following_is_idempotent_and_the_database_backs_it(member, partner):
    first = following.follow(user=member, record=partner)
    assert following.follow(user=member, record=partner) == first
    assert Follow.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Follow.objects.create(user=member, partner=partner)
    with pytest.raises(IntegrityError), transaction.atomic():  # one record per follow
        Follow.objects.create(user=member)
    assert following.unfollow(user=member, record=partner) is True
    assert following.unfollow(user=member, record=partner) is False


def test_a_record_the_user_may_not_see_cannot_be_followed(member, partner):
    stranger = factories.PartnerFactory(name="Elsewhere", slug="elsewhere")
    hidden = factories.CommitmentFactory(
        title="Quasarine", made_by=partner, visibility=Visibility.INTERNAL, owner=stranger
    )
    with pytest.raises(following.PermissionDenied):
        following.follow(user=member, record=hidden)
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(following.PermissionDenied):
        following.follow(user=AnonymousUser(), record=partner)
    assert not Follow.objects.exists()


# The endpoints' refusals ---------------------------------------------------------------------


def test_an_anonymous_visitor_cannot_follow(client, partner):
    response = client.post(FOLLOW, {"kind": "partner", "record": partner.pk})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.get(FOLLOWING).status_code == 302
    assert not Follow.objects.exists()


HOSTILE = [
    {},
    {"kind": "partner"},
    {"kind": "meeting", "record": "1"},
    {"kind": "user", "record": "1"},
    {"kind": "<script>", "record": "1"},
    {"kind": "partner", "record": "abc"},
    {"kind": "partner", "record": "1.5"},
    {"kind": "partner", "record": "-1"},
    {"kind": "partner", "record": "0"},
    {"kind": "partner", "record": str(2**70)},
    {"kind": "partner", "record": "9" * 400},
    {"kind": "partner", "record": "1' OR '1'='1"},
    {"kind": "partner", "record": "\x00"},
    {"kind": "commitment", "record": "999999999"},
]


@pytest.mark.parametrize("data", HOSTILE)
@pytest.mark.parametrize("endpoint", [FOLLOW, UNFOLLOW])
def test_hostile_follow_requests_give_a_404_never_a_500(member_client, partner, data, endpoint):
    response = member_client.post(endpoint, data)
    assert response.status_code == 404, data
    assert not Follow.objects.exists()


def test_a_record_the_user_may_not_see_gives_the_same_404(member_client, partner):
    stranger = factories.PartnerFactory(name="Elsewhere", slug="elsewhere")
    hidden_partner = factories.PartnerFactory(
        name="Obsidian unit", visibility=Visibility.INTERNAL, owner=stranger
    )
    hidden = factories.CommitmentFactory(
        title="Quasarine", made_by=partner, visibility=Visibility.INTERNAL, owner=stranger
    )
    for kind, record in (("partner", hidden_partner), ("commitment", hidden)):
        response = member_client.post(FOLLOW, {"kind": kind, "record": record.pk})
        assert response.status_code == 404
        assert "Obsidian" not in response.content.decode()
        assert "Quasarine" not in response.content.decode()
    assert not Follow.objects.exists()


def test_the_endpoints_refuse_a_post_without_csrf_and_a_get(member, partner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    for url in (FOLLOW, UNFOLLOW, FOLLOWING):
        assert (
            client.post(
                url, {"kind": "partner", "record": partner.pk, "digest": "none"}
            ).status_code
            == 403
        )
    assert client.get(FOLLOW).status_code == 405
    assert not Follow.objects.exists()
    assert not Preferences.objects.exists()


# The Following page --------------------------------------------------------------------------


def test_the_following_page_lists_links_and_unfollows(member_client, member, partner, commitment):
    topic = factories.TopicFactory(name="Border control", slug="border-control")
    other_topic = factories.TopicFactory(name="Cybercrime", slug="cybercrime")
    following.follow(user=member, record=partner)
    following.follow(user=member, record=commitment)

    html = member_client.get(FOLLOWING).content.decode()
    assert f'href="{partner.get_absolute_url()}"' in html
    assert f'href="{commitment.get_absolute_url()}"' in html
    assert html.count(f'action="{UNFOLLOW}"') == 2
    assert "<script" not in html
    assert f'<option value="{topic.pk}">Border control</option>' in html

    response = member_client.post(FOLLOW, {"kind": "topic", "record": topic.pk, "next": FOLLOWING})
    assert response["Location"] == FOLLOWING
    html = member_client.get(FOLLOWING).content.decode()
    assert f'href="{topic.get_absolute_url()}"' in html
    assert f'<option value="{topic.pk}">' not in html  # followed: no longer offered
    assert f'<option value="{other_topic.pk}">' in html
    assert html.count(f'action="{UNFOLLOW}"') == 3


def test_the_following_page_leaves_out_what_the_user_may_no_longer_see(
    member_client, member, partner, commitment
):
    following.follow(user=member, record=commitment)
    stranger = factories.PartnerFactory(name="Elsewhere", slug="elsewhere")
    type(commitment).objects.filter(pk=commitment.pk).update(
        visibility=Visibility.INTERNAL, owner=stranger, title="Quasarine pledge"
    )
    assert "Quasarine" not in member_client.get(FOLLOWING).content.decode()
    Membership.objects.create(user=member, partner=stranger)
    viewer = Client()
    viewer.force_login(type(member).objects.get(pk=member.pk))
    assert "Quasarine" in viewer.get(FOLLOWING).content.decode()


def test_the_digest_choice_is_saved_and_a_bad_one_refused(member_client, member):
    html = member_client.get(FOLLOWING).content.decode()
    assert 'value="weekly" required checked' in html or re.search(
        r'value="weekly"[^>]*checked', html
    )

    response = member_client.post(FOLLOWING, {"digest": "daily"})
    assert response.status_code == 302
    assert Preferences.objects.get(user=member).digest == DigestFrequency.DAILY

    for bad in ("hourly", "", "x" * 5000):
        response = member_client.post(FOLLOWING, {"digest": bad})
        assert response.status_code == 400
        assert 'class="error"' in response.content.decode()
    assert Preferences.objects.get(user=member).digest == DigestFrequency.DAILY


def test_the_following_page_runs_the_same_queries_with_many_follows(
    member_client, member, django_assert_max_num_queries
):
    def follow_some(n: int) -> None:
        for _index in range(n):
            following.follow(user=member, record=factories.PartnerFactory())
            following.follow(user=member, record=factories.TopicFactory())
            following.follow(user=member, record=factories.CommitmentFactory())

    follow_some(1)
    member_client.get(FOLLOWING)  # the session's first save is not the page's
    with django_assert_max_num_queries(12) as few:
        assert member_client.get(FOLLOWING).status_code == 200
    follow_some(40)
    with django_assert_max_num_queries(len(few)) as many:
        response = member_client.get(FOLLOWING)
    assert response.content.decode().count(f'action="{UNFOLLOW}"') == 123
    assert len(many) == len(few)
