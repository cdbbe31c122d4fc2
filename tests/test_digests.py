"""Email digests, read back from a real local SMTP server (aiosmtpd, the `smtp_server`
fixture): what changed in what a user follows and what falls due, each line linking to its
page; sent once per user and period however often the task runs or dies; empty ones recorded
and not sent; failures kept with their reason; never a record the user may not see; a signed
one-click unsubscribe link in every email."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import signing
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from bench.load import free_port
from cooperation import digests, following, tasks
from cooperation.models import (
    Commitment,
    CommitmentStatus,
    Digest,
    DigestFrequency,
    DigestStatus,
    Membership,
    Partner,
    Preferences,
    Visibility,
)
from cooperation.services.commitments import commitment_add_update
from tests import factories

pytestmark = pytest.mark.django_db

PHNOM_PENH = ZoneInfo("Asia/Phnom_Penh")
DAILY, WEEKLY = DigestFrequency.DAILY, DigestFrequency.WEEKLY
TODAY = datetime.date(2024, 3, 13)  # a Wednesday
YESTERDAY_NOON = datetime.datetime(2024, 3, 12, 12, 0, tzinfo=PHNOM_PENH)


def follower(username: str, *records, frequency: str = DAILY, email: str | None = None, **extra):
    """A signed-in user who follows `records` and gets their digest at `frequency`."""
    user = factories.UserFactory(
        username=username, email=f"{username}@example.org" if email is None else email, **extra
    )
    Preferences.objects.create(user=user, digest=frequency)
    for record in records:
        following.follow(user=user, record=record)
    return user


def body(message, kind: str = "plain") -> str:
    return message.get_body((kind,)).get_content()


def overdue_commitment(partner, title="Open three shelters", **fields):
    return factories.CommitmentFactory(
        title=title, made_by=partner, target_date=TODAY - datetime.timedelta(days=5), **fields
    )


def send_daily(today=TODAY):
    return digests.digests_send(frequency=DAILY, today=today)


# The period ----------------------------------------------------------------------------------


def test_the_period_is_fixed_by_the_day_it_runs():
    daily = digests.digest_period(frequency=DAILY, today=TODAY)
    assert daily == digests.digest_period(frequency=DAILY, today=TODAY)
    assert timezone.localtime(daily.start) == datetime.datetime(2024, 3, 12, tzinfo=PHNOM_PENH)
    assert timezone.localtime(daily.end) == datetime.datetime(2024, 3, 13, tzinfo=PHNOM_PENH)
    assert str(timezone.localtime(daily.end).tzinfo) == "Asia/Phnom_Penh"
    weekly = digests.digest_period(frequency=WEEKLY, today=TODAY)
    # The last whole Monday-to-Monday week, whichever day of the following week it runs on.
    assert timezone.localdate(weekly.start) == datetime.date(2024, 3, 4)
    assert timezone.localdate(weekly.end) == datetime.date(2024, 3, 11)
    assert digests.digest_period(frequency=WEEKLY, today=datetime.date(2024, 3, 11)) == weekly
    assert digests.digest_period(frequency=WEEKLY, today=datetime.date(2024, 3, 17)) == weekly
    with pytest.raises(ValueError):
        digests.digest_period(frequency=DigestFrequency.NONE, today=TODAY)


def test_the_beat_schedules_exist_after_migrate():
    from config.celery import app

    app.loader.import_default_modules()
    schedules = {
        task.name: task for task in PeriodicTask.objects.filter(task=tasks.send_digests.name)
    }
    assert set(schedules) == {"Daily digests", "Weekly digests"}
    daily, weekly = schedules["Daily digests"], schedules["Weekly digests"]
    assert (daily.crontab.hour, daily.crontab.minute, daily.crontab.day_of_week) == ("7", "0", "*")
    assert (weekly.crontab.hour, weekly.crontab.day_of_week) == ("7", "1")
    assert str(daily.crontab.timezone) == "Asia/Phnom_Penh"
    assert daily.kwargs == '{"frequency": "daily"}' and daily.enabled
    assert weekly.kwargs == '{"frequency": "weekly"}' and weekly.enabled
    assert daily.task in app.tasks
    assert tasks.send_digests.acks_late is True


# Done when -----------------------------------------------------------------------------------


def test_a_user_follows_the_ministry_from_its_profile_and_hears_of_its_commitment(
    seed, smtp_server
):
    user = factories.UserFactory(username="liaison", email="liaison@example.org")
    Preferences.objects.create(user=user, digest=DAILY)
    client = Client()
    client.force_login(user)
    ministry = Partner.objects.get(slug="ministry-of-interior")
    profile = client.get(ministry.get_absolute_url()).content.decode()
    form = re.search(
        r'<form method="post" class="follow-form" action="([^"]+)">(.*?)</form>', profile, re.S
    )
    assert form, "the profile shows a follow button to a signed-in user"
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.group(2)))
    response = client.post(form.group(1), fields)
    assert response.status_code == 302 and response["Location"] == ministry.get_absolute_url()
    assert following.is_following(user=user, record=ministry)
    assert "Unfollow" in client.get(ministry.get_absolute_url()).content.decode()

    commitment = Commitment.objects.filter(made_by=ministry).order_by("pk").first()
    citation = commitment.citations.first()
    commitment_add_update(
        commitment=commitment,
        status=CommitmentStatus.IN_PROGRESS,
        source=citation.source,
        passage=citation.passage,
        note="Talks began with the working group.",
        date=timezone.localdate(),
    )
    outcome = digests.digests_send(
        frequency=DAILY, today=timezone.localdate() + datetime.timedelta(days=1)
    )

    assert outcome.get("sent") == 1, outcome
    [message] = smtp_server.messages
    assert message.recipients == ["liaison@example.org"]
    assert message["Subject"].startswith("Concord digest")
    text, html = body(message), body(message, "html")
    url = settings.SITE_URL + commitment.get_absolute_url()
    assert commitment.title in text and url in text
    assert "Announced → In progress — Talks began with the working group." in text
    assert f'<a href="{url}">' in html
    digest = Digest.objects.get(user=user)
    assert digest.status == DigestStatus.SENT and digest.recipient == "liaison@example.org"
    assert digest.line_count >= 1 and digest.sent_at is not None
    print(f"EMAIL READ BACK: {message['Subject']!r} to {message.recipients}, linking {url}")


# What a digest says --------------------------------------------------------------------------


@pytest.fixture
def ministry():
    return factories.PartnerFactory(name="Ministry of Interior", slug="moi")


def test_overdue_and_due_soon_lines_link_to_their_pages(smtp_server, ministry):
    topic = factories.TopicFactory(name="Border control", slug="border-control")
    late = overdue_commitment(ministry)
    soon = factories.CommitmentFactory(
        title="Train border officers", target_date=TODAY + datetime.timedelta(days=10)
    )
    soon.topics.add(topic)
    direct = factories.CommitmentFactory(
        title="Publish the annual report", target_date=TODAY + datetime.timedelta(days=29)
    )
    factories.CommitmentFactory(  # due, but nothing the user follows
        title="Unrelated pledge", target_date=TODAY + datetime.timedelta(days=3)
    )
    factories.CommitmentFactory(  # fulfilled: neither overdue nor due
        title="Kept pledge",
        made_by=ministry,
        status=CommitmentStatus.FULFILLED,
        target_date=TODAY - datetime.timedelta(days=1),
    )
    factories.CommitmentFactory(  # beyond COMMITMENT_DUE_SOON_DAYS
        title="Far-off pledge", made_by=ministry, target_date=TODAY + datetime.timedelta(days=45)
    )
    follower("analyst", ministry, topic, direct)

    send_daily()

    [message] = smtp_server.messages
    text = body(message)
    overdue, due = text.split("Overdue", 1)[1].split("Due within 30 days")
    assert late.title in overdue and settings.SITE_URL + late.get_absolute_url() in overdue
    assert soon.title in due and direct.title in due
    assert settings.SITE_URL + soon.get_absolute_url() in due
    for absent in ("Unrelated pledge", "Kept pledge", "Far-off pledge"):
        assert absent not in text


def test_new_meetings_milestones_figures_and_commitments_of_a_followed_partner(
    smtp_server, ministry
):
    topic = factories.TopicFactory(name="Victim protection", slug="victim-protection")
    meeting = factories.MeetingFactory(title="Shelter standards workshop", partners=[ministry])
    milestone = factories.MilestoneFactory(title="Referral guidelines adopted")
    milestone.topics.add(topic)
    count = factories.ComplaintCountFactory(received_by=ministry, count=1234)
    pledge = factories.CommitmentFactory(title="Fund a hotline", made_by=ministry)
    old = factories.MeetingFactory(title="Last year's meeting", partners=[ministry])
    for record in (meeting, milestone, count, pledge):
        type(record).objects.filter(pk=record.pk).update(created_at=YESTERDAY_NOON)
    type(old).objects.filter(pk=old.pk).update(
        created_at=YESTERDAY_NOON - datetime.timedelta(days=3)
    )
    follower("analyst", ministry, topic)

    send_daily()

    text = body(smtp_server.messages[0])
    for record in (meeting, milestone, pledge):
        assert record.title in text and settings.SITE_URL + record.get_absolute_url() in text
    assert "1,234 complaints received by Ministry of Interior" in text
    assert settings.SITE_URL + count.get_absolute_url() in text
    assert "Last year's meeting" not in text


def test_a_long_section_is_capped_with_a_link_to_the_filtered_table(smtp_server, ministry):
    for n in range(digests.SECTION_LIMIT + 4):
        overdue_commitment(ministry, title=f"Late pledge {n:02}")
    follower("analyst", ministry)

    send_daily()

    text = body(smtp_server.messages[0])
    assert text.count("Late pledge") == digests.SECTION_LIMIT
    more = f"…and 4 more: {settings.SITE_URL}/commitments/?state=overdue&partner=moi"
    assert more in text
    assert Digest.objects.get().line_count == digests.SECTION_LIMIT + 4


def test_a_digest_is_written_in_the_users_language(smtp_server, ministry):
    overdue_commitment(ministry)
    user = follower("analyste", ministry)
    Preferences.objects.filter(user=user).update(language="fr")

    send_daily()

    message = smtp_server.messages[0]
    assert "Overdue" not in body(message)
    assert "Open three shelters" in body(message)


# Once, and never silently lost ---------------------------------------------------------------


def test_running_twice_sends_one_email(smtp_server, ministry):
    overdue_commitment(ministry)
    follower("analyst", ministry)

    assert send_daily()["sent"] == 1
    assert send_daily() == {"abandoned": 0}
    assert len(smtp_server.messages) == 1
    # The beat task, run twice (as a redelivery would) for today's period: one more email.
    for _run in range(2):
        tasks.send_digests.apply(kwargs={"frequency": DAILY}).get()
    assert len(smtp_server.messages) == 2
    assert Digest.objects.filter(status=DigestStatus.SENT).count() == 2


def test_a_second_claim_of_the_same_period_sends_nothing(smtp_server, ministry):
    overdue_commitment(ministry)
    user = follower("analyst", ministry)
    period = digests.digest_period(frequency=DAILY, today=TODAY)

    first = digests.digest_send(user=user, frequency=DAILY, period=period, today=TODAY)
    second = digests.digest_send(user=user, frequency=DAILY, period=period, today=TODAY)

    assert first.status == DigestStatus.SENT and second is None
    assert len(smtp_server.messages) == 1


def test_a_digest_with_nothing_to_say_is_recorded_empty_and_not_sent(smtp_server, ministry):
    factories.CommitmentFactory(made_by=ministry, title="No date, no news")
    follower("analyst", ministry)
    factories.UserFactory(username="follows-nothing", email="quiet@example.org")

    outcome = send_daily()

    assert outcome == {"abandoned": 0, "empty": 1}
    assert smtp_server.messages == []
    digest = Digest.objects.get()
    assert digest.status == DigestStatus.EMPTY and digest.sent_at is None


def test_smtp_down_records_each_failure_and_goes_on(settings, ministry):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    overdue_commitment(ministry)
    follower("first", ministry)
    follower("second", ministry)

    outcome = send_daily()

    assert outcome["failed"] == 2
    for digest in Digest.objects.all():
        assert digest.status == DigestStatus.FAILED
        assert (
            "The mail server did not take it" in digest.error
            and "Connection refused" in digest.error
        )


def test_a_refused_message_and_a_missing_address_fail_with_their_reason(smtp_server, ministry):
    overdue_commitment(ministry)
    follower("no-address", ministry, email="")
    follower("refused", ministry)
    smtp_server.refuse = True

    send_daily()

    reasons = dict(Digest.objects.values_list("user__username", "error"))
    assert reasons["no-address"] == "The user has no email address."
    assert "451" in reasons["refused"]
    assert set(Digest.objects.values_list("status", flat=True)) == {DigestStatus.FAILED}


def test_a_digest_left_sending_is_failed_with_its_reason_not_sent_again(smtp_server, ministry):
    overdue_commitment(ministry)
    user = follower("analyst", ministry)
    period = digests.digest_period(frequency=DAILY, today=TODAY)
    Digest.objects.create(
        user=user,
        frequency=DAILY,
        period_start=period.start,
        period_end=period.end,
        claimed_at=timezone.now() - digests.ABANDONED_AFTER - datetime.timedelta(minutes=1),
    )

    outcome = send_daily()

    assert outcome == {"abandoned": 1}
    assert smtp_server.messages == []
    digest = Digest.objects.get()
    assert digest.status == DigestStatus.FAILED and "never arrive twice" in digest.error


# No leaks ------------------------------------------------------------------------------------


def test_a_digest_never_names_a_record_the_user_may_not_see(smtp_server, ministry):
    other_organisation = factories.PartnerFactory(name="Other organisation", slug="other-org")
    overdue_commitment(ministry, title="Public pledge to train police")
    overdue_commitment(
        ministry,
        title="Quasarine internal pledge",
        visibility=Visibility.INTERNAL,
        owner=other_organisation,
    )
    hidden = factories.MeetingFactory(
        title="Zephyrine closed-door briefing",
        partners=[ministry],
        visibility=Visibility.INTERNAL,
        owner=other_organisation,
    )
    member = follower("member", ministry)
    Membership.objects.create(user=member, partner=factories.default_owner())
    insider = follower("insider", ministry)
    Membership.objects.create(user=insider, partner=other_organisation)
    type(hidden).objects.filter(pk=hidden.pk).update(created_at=YESTERDAY_NOON)

    send_daily()

    by_user = {m.recipients[0]: body(m) + body(m, "html") for m in smtp_server.messages}
    assert "Public pledge to train police" in by_user["member@example.org"]
    assert "Quasarine" not in by_user["member@example.org"]
    assert "Zephyrine" not in by_user["member@example.org"]
    # The other organisation's staff do hear of their own records: the test can fail.
    assert "Quasarine" in by_user["insider@example.org"]
    assert "Zephyrine" in by_user["insider@example.org"]


def test_a_followed_commitment_that_becomes_internal_drops_out(smtp_server, ministry):
    other = factories.PartnerFactory(name="Other organisation", slug="other-org")
    commitment = overdue_commitment(ministry, title="Quasarine pledge")
    follower("analyst", commitment)
    Commitment.objects.filter(pk=commitment.pk).update(visibility=Visibility.INTERNAL, owner=other)

    assert send_daily() == {"abandoned": 0, "empty": 1}
    assert smtp_server.messages == []


# Unsubscribing -------------------------------------------------------------------------------


def unsubscribe_link(message) -> str:
    header = str(message["List-Unsubscribe"]).strip()  # folded onto its own line: it is long
    assert header.startswith(f"<{settings.SITE_URL}/digests/unsubscribe/") and header.endswith(">")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = header[1:-1]
    assert url in body(message) and url in body(message, "html")
    return url.removeprefix(settings.SITE_URL)


def test_the_unsubscribe_link_asks_then_stops_the_digests(smtp_server, ministry):
    overdue_commitment(ministry)
    user = follower("analyst", ministry)
    send_daily()
    path = unsubscribe_link(smtp_server.messages[0])
    client = Client(enforce_csrf_checks=True)

    page = client.get(path)
    assert page.status_code == 200 and "Unsubscribe" in page.content.decode()
    assert Preferences.objects.get(user=user).digest == DAILY  # a GET changes nothing

    done = client.post(path, {"List-Unsubscribe": "One-Click"})  # RFC 8058: no token, no session
    assert done.status_code == 200
    assert Preferences.objects.get(user=user).digest == DigestFrequency.NONE
    assert "no more digests" in done.content.decode()
    assert send_daily(TODAY + datetime.timedelta(days=1)) == {"abandoned": 0}


def test_a_tampered_unsubscribe_token_gives_a_clear_400(db):
    user = factories.UserFactory(username="analyst")
    Preferences.objects.create(user=user, digest=WEEKLY)
    token = digests.unsubscribe_token(user)
    other = factories.UserFactory(username="victim")
    forged = f"{other.pk}:{token.split(':', 1)[1]}"
    client = Client()
    for bad in (forged, token + "x", "x" * 5000, "1", ":", "%00"):
        for method in (client.get, client.post):
            response = method(f"/digests/unsubscribe/{bad}/")
            assert response.status_code == 400, (bad[:20], method)
            assert "not valid" in response.content.decode()
    assert Preferences.objects.get(user=user).digest == WEEKLY
    assert not Preferences.objects.filter(user=other).exists()
    # Signed for another purpose: refused too.
    other_salt = signing.Signer(salt="something-else").sign(str(user.pk))
    assert client.post(f"/digests/unsubscribe/{other_salt}/").status_code == 400


# The command ---------------------------------------------------------------------------------


def test_the_dry_run_shows_who_would_get_what_and_sends_nothing(smtp_server, ministry, capsys):
    late = overdue_commitment(ministry)
    follower("analyst", ministry, frequency=WEEKLY)
    follower("daily-reader", ministry, frequency=DAILY)

    call_command("send_digests", "--frequency", "weekly", "--dry-run")

    out = capsys.readouterr().out
    assert "analyst <analyst@example.org>: 1 lines" in out
    assert late.title in out and settings.SITE_URL + late.get_absolute_url() in out
    assert "daily-reader" not in out
    assert "nothing was sent" in out
    assert smtp_server.messages == [] and not Digest.objects.exists()

    call_command("send_digests", "--frequency", "weekly")
    assert "weekly digests — abandoned: 0, sent: 1" in capsys.readouterr().out
    assert [m.recipients for m in smtp_server.messages] == [["analyst@example.org"]]


# A worker that dies mid-batch ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_batch_killed_mid_way_then_run_again_sends_the_rest_once(smtp_server, processes):
    """The real command in its own process, SIGKILLed while the mail server holds its third
    message; the re-run sends the users not yet reached, never again those already sent,
    and the one caught mid-send is failed, not re-sent (at most once)."""
    from tests.processes import (
        BIN,
        ROOT,
        Process,
        base_env,
        database_url_for_subprocesses,
        wait_for,
    )

    partner = factories.PartnerFactory(name="Ministry of Interior", slug="moi")
    factories.CommitmentFactory(
        title="Open three shelters",
        made_by=partner,
        target_date=timezone.localdate() - datetime.timedelta(days=5),
    )
    users = [follower(f"user{n}", partner) for n in range(6)]
    smtp_server.hold_from = 2
    env = base_env(
        DATABASE_URL=database_url_for_subprocesses(),
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_server.port}",
        EMAIL_TIMEOUT="600",
        CACHE_URL="",
        CELERY_BROKER_URL="",
    )
    command = [str(BIN / "python"), str(ROOT / "manage.py"), "send_digests", "--frequency", "daily"]
    batch = Process(command, env, "send_digests")
    processes.append(batch)
    wait_for(lambda: smtp_server.held, 60, what="the third email to be under way")
    batch.kill_group()
    smtp_server.hold_from = None

    statuses = dict(Digest.objects.values_list("user__username", "status"))
    assert statuses == {"user0": "sent", "user1": "sent", "user2": "sending"}, batch.text()

    outcome = digests.digests_send(frequency=DAILY)
    assert outcome == {"abandoned": 0, "sent": 3}
    recipients = sorted(m.recipients[0] for m in smtp_server.messages)
    assert recipients == sorted(f"{u.username}@example.org" for u in users if u.username != "user2")

    # Later (the next day's run sweeps first): the one caught mid-send is failed, not re-sent.
    later = timezone.now() + digests.ABANDONED_AFTER + datetime.timedelta(seconds=1)
    assert digests.digests_fail_abandoned(now=later) == 1
    stuck = Digest.objects.get(user__username="user2")
    assert stuck.status == DigestStatus.FAILED and "never arrive twice" in stuck.error
    assert digests.digests_send(frequency=DAILY) == {"abandoned": 0}
    assert len(smtp_server.messages) == 5
