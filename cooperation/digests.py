"""Email digests: what changed in what a user follows, and which of their commitments are
overdue or due soon.

- `digest_period`: the period a run covers, fixed by the day it runs (so a second run on the
  same day targets the same period, and finds its digests claimed).
- `digest_compose`: one user's digest, every record read through `cooperation.visibility` for
  that user at the time of sending; each section capped, with how many more and where.
- `digest_send` / `digests_send`: claim, compose, send, record (`Digest`), once per user and
  period, however many times the task runs.
- `unsubscribe_token` / `unsubscribe_user`: the signed one-click unsubscribe link (RFC 8058).
"""

from __future__ import annotations

import datetime
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import InterfaceError, OperationalError
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from cooperation import numerals
from cooperation.dates import format_day
from cooperation.models import (
    Commitment,
    CommitmentStatus,
    CommitmentUpdate,
    ComplaintCount,
    Digest,
    DigestFrequency,
    DigestStatus,
    Follow,
    Meeting,
    Milestone,
    Partner,
    Preferences,
    due_soon_q,
    overdue_q,
)
from cooperation.translations import display_name_text, shown_text

logger = logging.getLogger(__name__)

# Lines per section; the rest are counted, with a link to the table that lists them.
SECTION_LIMIT = 10
# A digest still "sending" this long after it was claimed belongs to a worker that died.
ABANDONED_AFTER = datetime.timedelta(minutes=15)
UNSUBSCRIBE_SALT = "concord.digests.unsubscribe"
USERS_PER_BATCH = 200


# The period ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Changes from `start` (included) to `end` (excluded), local midnights."""

    start: datetime.datetime
    end: datetime.datetime


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def digest_period(*, frequency: str, today: datetime.date) -> Period:
    """The period a run on `today` covers: the day before (daily), or the last whole Monday to
    Monday week (weekly) — the same for every run on the same day."""
    if frequency == DigestFrequency.DAILY:
        return Period(_midnight(today - datetime.timedelta(days=1)), _midnight(today))
    if frequency == DigestFrequency.WEEKLY:
        monday = today - datetime.timedelta(days=today.weekday())
        return Period(_midnight(monday - datetime.timedelta(days=7)), _midnight(monday))
    raise ValueError(f"no digest is sent for frequency {frequency!r}")


# Composing -----------------------------------------------------------------------------------


def absolute(path: str) -> str:
    """An address in an email: SITE_URL followed by the path."""
    return settings.SITE_URL + path


@dataclass
class DigestLine:
    text: str
    url: str
    detail: str = ""


@dataclass
class DigestSection:
    key: str
    title: str
    lines: list[DigestLine]
    more: int = 0
    more_url: str = ""


@dataclass
class DigestContent:
    """One user's digest: its sections, only those with something in them."""

    period: Period
    sections: list[DigestSection] = field(default_factory=list)

    @property
    def line_count(self) -> int:
        return sum(len(section.lines) + section.more for section in self.sections)

    @property
    def is_empty(self) -> bool:
        return self.line_count == 0


@dataclass
class _Scope:
    """What one user follows, as subqueries: the partners and topics they follow (partners
    only where they may see them), and the commitments they follow directly."""

    partners: QuerySet
    topics: QuerySet
    commitments: QuerySet
    single_partner: Partner | None

    def commitments_q(self, *, directly: bool = True) -> Q:
        """Commitments made by or to a followed partner, on a followed topic, or (when
        `directly`) followed themselves."""
        received = Commitment.made_to.through.objects.filter(partner__in=self.partners)
        on_topic = Commitment.topics.through.objects.filter(topic__in=self.topics)
        q = (
            Q(made_by__in=self.partners)
            | Q(pk__in=received.values("commitment"))
            | Q(pk__in=on_topic.values("commitment"))
        )
        return q | Q(pk__in=self.commitments) if directly else q

    def linked_q(self, model: type[Meeting] | type[Milestone]) -> Q:
        """Meetings or milestones with a followed partner or on a followed topic."""
        with_partner = model.partners.through.objects.filter(partner__in=self.partners)
        on_topic = model.topics.through.objects.filter(topic__in=self.topics)
        column = model._meta.model_name
        return Q(pk__in=with_partner.values(column)) | Q(pk__in=on_topic.values(column))


def _scope_of(user: Any) -> _Scope:
    follows = Follow.objects.filter(user=user)
    partners = Partner.objects.visible_to(user).filter(
        pk__in=follows.filter(partner__isnull=False).values("partner")
    )
    followed_partners = list(partners.only("pk", "slug")[:2])
    topics = follows.filter(topic__isnull=False).values("topic")
    return _Scope(
        partners=partners.values("pk"),
        topics=topics,
        commitments=follows.filter(commitment__isnull=False).values("commitment"),
        single_partner=followed_partners[0] if len(followed_partners) == 1 else None,
    )


def _list_url(name: str, **params: str) -> str:
    query = urlencode({key: value for key, value in params.items() if value})
    return absolute(reverse(f"cooperation:{name}") + (f"?{query}" if query else ""))


def _section(key: str, title: str, queryset: QuerySet, line, more_url: str) -> DigestSection:
    """Up to SECTION_LIMIT lines of `queryset`, and how many more it holds."""
    rows = list(queryset[: SECTION_LIMIT + 1])
    more = queryset.count() - SECTION_LIMIT if len(rows) > SECTION_LIMIT else 0
    lines = [line(row) for row in rows[:SECTION_LIMIT]]
    return DigestSection(key, title, lines, more, more_url if more else "")


def _status_label(status: str | None) -> str:
    return str(CommitmentStatus(status).label) if status in CommitmentStatus.values else ""


def _changed_line(commitment: Commitment) -> DigestLine:
    now = _status_label(commitment.status)
    before = _status_label(commitment.status_before)
    detail = f"{before} → {now}" if before and before != now else now
    if commitment.latest_note:
        detail += f" — {commitment.latest_note[:200]}"
    return DigestLine(
        shown_text(commitment, "title"), absolute(commitment.get_absolute_url()), detail
    )


def _due_line(commitment: Commitment) -> DigestLine:
    detail = gettext("target date %(day)s") % {"day": format_day(commitment.target_date)}
    return DigestLine(
        shown_text(commitment, "title"), absolute(commitment.get_absolute_url()), detail
    )


def _dated_line(record: Any) -> DigestLine:
    return DigestLine(
        shown_text(record, "title"), absolute(record.get_absolute_url()), record.date_display
    )


def _count_line(count: ComplaintCount) -> DigestLine:
    # A digest goes to a signed-in user, who sees exact figures.
    text = gettext("%(count)s complaints received by %(partner)s") % {
        "count": numerals.number(count.count),
        "partner": display_name_text(count.received_by),
    }
    return DigestLine(text, absolute(count.get_absolute_url()), count.period_display)


def _changed_commitments(user: Any, scope: _Scope, period: Period) -> QuerySet:
    """Commitments in scope with an update recorded in the period, or whose status changed
    in it (an edit in the admin as well as an update), with their status when it began and
    the note of their latest update in it."""
    history = Commitment.history.model  # type: ignore[attr-defined]
    in_period = Q(history_date__gte=period.start, history_date__lt=period.end)
    earlier = history.objects.filter(
        id=OuterRef("id"), history_date__lt=OuterRef("history_date")
    ).order_by("-history_date", "-history_id")
    status_changes = (
        history.objects.filter(in_period, history_type="~")
        .annotate(previous=Subquery(earlier.values("status")[:1]))
        .filter(previous__isnull=False)
        .exclude(previous=F("status"))
        .values("id")
    )
    updates = CommitmentUpdate.objects.filter(
        recorded_at__gte=period.start, recorded_at__lt=period.end
    )
    # Its status when the period began: its history says, else its latest update before
    # then (the status mirrors it), else the status every commitment starts with.
    recorded_before = history.objects.filter(id=OuterRef("pk"), history_date__lt=period.start)
    updated_before = CommitmentUpdate.objects.filter(
        commitment=OuterRef("pk"), recorded_at__lt=period.start
    ).order_by("-recorded_at", "-pk")
    latest_note = updates.filter(commitment=OuterRef("pk")).order_by("-recorded_at", "-pk")
    return (
        Commitment.objects.visible_to(user)
        .filter(scope.commitments_q())
        .filter(Q(pk__in=updates.values("commitment")) | Q(pk__in=status_changes))
        .annotate(
            status_before=Coalesce(
                Subquery(
                    recorded_before.order_by("-history_date", "-history_id").values("status")[:1]
                ),
                Subquery(updated_before.values("status")[:1]),
                Value(CommitmentStatus.ANNOUNCED.value),
            ),
            latest_note=Subquery(latest_note.values("note")[:1]),
        )
        .order_by("-updated_at", "pk")
    )


def digest_compose(
    *, user: Any, period: Period, today: datetime.date | None = None
) -> DigestContent:
    """One user's digest for a period, in the active language: what changed in the period in
    what they follow, and which of the commitments they follow (directly, or made by or to a
    followed partner, or on a followed topic) are overdue or due soon on `today`. Only records
    the user may see now, each line linking to its page."""
    today = today or timezone.localdate()
    scope = _scope_of(user)
    new = Q(created_at__gte=period.start, created_at__lt=period.end)
    one_partner = scope.single_partner.slug if scope.single_partner else ""
    commitments = Commitment.objects.visible_to(user)
    in_scope = commitments.filter(scope.commitments_q())
    sections = [
        _section(
            "changed",
            gettext("Commitments that changed"),
            _changed_commitments(user, scope, period),
            _changed_line,
            _list_url("commitment-list", partner=one_partner),
        ),
        _section(
            "new_commitments",
            gettext("New commitments"),
            commitments.filter(scope.commitments_q(directly=False))
            .filter(new)
            .order_by("-created_at", "pk"),
            _dated_line,
            _list_url("commitment-list", partner=one_partner),
        ),
        *(
            _section(
                key,
                title,
                model.objects.visible_to(user)
                .filter(scope.linked_q(model))
                .filter(new)
                .order_by("-created_at", "pk"),
                _dated_line,
                _list_url(list_name, partner=one_partner),
            )
            for key, title, model, list_name in (
                ("meetings", gettext("New meetings"), Meeting, "meeting-list"),
                ("milestones", gettext("New milestones"), Milestone, "milestone-list"),
            )
        ),
        _section(
            "complaints",
            gettext("New complaint figures"),
            ComplaintCount.objects.visible_to(user)
            .filter(new, received_by__in=scope.partners)
            .select_related("received_by")
            .order_by("-created_at", "pk"),
            _count_line,
            _list_url("complaintcount-list", received_by=one_partner),
        ),
        _section(
            "overdue",
            gettext("Overdue"),
            in_scope.filter(overdue_q(today)).order_by("target_date", "pk"),
            _due_line,
            _list_url("commitment-list", state="overdue", partner=one_partner),
        ),
        _section(
            "due_soon",
            ngettext(
                "Due within %(days)s day",
                "Due within %(days)s days",
                settings.COMMITMENT_DUE_SOON_DAYS,
            )
            % {"days": numerals.number(settings.COMMITMENT_DUE_SOON_DAYS)},
            in_scope.filter(due_soon_q(today)).order_by("target_date", "pk"),
            _due_line,
            _list_url("commitment-list", state="due_soon", partner=one_partner),
        ),
    ]
    return DigestContent(period, [section for section in sections if section.lines])


# Unsubscribing -------------------------------------------------------------------------------


def unsubscribe_token(user: Any) -> str:
    """A token naming the user, signed (no expiry: an old email's link still works)."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(user.pk))


def unsubscribe_user(token: str) -> Any:
    """The user a token was signed for; `signing.BadSignature` for a tampered token or a user
    who is no more."""
    pk = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    user = get_user_model().objects.filter(pk=int(pk)).first() if pk.isdigit() else None
    if user is None:
        raise signing.BadSignature("No such user.")
    return user


def unsubscribe_url(user: Any) -> str:
    return absolute(reverse("cooperation:digest-unsubscribe", args=[unsubscribe_token(user)]))


# Sending -------------------------------------------------------------------------------------


def language_of(user: Any) -> str:
    """The language the user's emails are written in: their choice, else the site's."""
    preferences = getattr(user, "preferences", None)
    return (preferences.language if preferences else "") or settings.LANGUAGE_CODE


def digest_message(*, user: Any, content: DigestContent, frequency: str) -> EmailMultiAlternatives:
    """The email of one digest, text and HTML, in the active language, with the one-click
    unsubscribe headers of RFC 8058."""
    unsubscribe = unsubscribe_url(user)
    context = {
        "user": user,
        "content": content,
        "daily": frequency == DigestFrequency.DAILY,
        "period_start": format_day(timezone.localdate(content.period.start)),
        "period_last_day": format_day(
            timezone.localdate(content.period.end) - datetime.timedelta(days=1)
        ),
        "following_url": absolute(reverse("cooperation:following")),
        "unsubscribe_url": unsubscribe,
        "site_url": settings.SITE_URL,
    }
    subject = ngettext(
        "Concord digest: %(count)s item in what you follow",
        "Concord digest: %(count)s items in what you follow",
        content.line_count,
    ) % {"count": numerals.number(content.line_count)}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("email/digest.txt", context),
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(render_to_string("email/digest.html", context), "text/html")
    return message


ABANDONED_ERROR = (
    "The worker sending this digest stopped before recording whether it went out; it is not "
    "sent again, so that it can never arrive twice."
)


def _finish(digest: Digest, status: str, **fields: Any) -> Digest:
    """Record how a claimed digest ended (only if it is still ours to finish)."""
    Digest.objects.filter(pk=digest.pk, status=DigestStatus.SENDING).update(status=status, **fields)
    digest.refresh_from_db()
    return digest


def digest_send(
    *,
    user: Any,
    frequency: str,
    period: Period,
    today: datetime.date | None = None,
    connection: Any = None,
) -> Digest | None:
    """Send one user's digest for one period, at most once.

    The claim comes first: the `Digest` row is created ("sending") in its own transaction,
    and a run that finds it already there returns None. Then the digest is composed; one with
    nothing to say is recorded "empty" and not sent; one for a user without an email address,
    or that the mail server refuses, is recorded "failed" with the reason. Only an email the
    server accepted is recorded "sent".

    At most once, not at least once: a worker that dies between the claim and the record
    leaves the row "sending", and since nobody can tell whether the server took the email,
    `digests_fail_abandoned` marks it failed (saying why) rather than sending it again.
    """
    digest, claimed = Digest.objects.get_or_create(
        user=user,
        frequency=frequency,
        period_end=period.end,
        defaults={"period_start": period.start},
    )
    if not claimed:
        return None
    try:
        with translation.override(language_of(user)):
            content = digest_compose(user=user, period=period, today=today)
            if content.is_empty:
                return _finish(digest, DigestStatus.EMPTY)
            if not user.email:
                return _finish(
                    digest,
                    DigestStatus.FAILED,
                    line_count=content.line_count,
                    error="The user has no email address.",
                )
            message = digest_message(user=user, content=content, frequency=frequency)
    except (OperationalError, InterfaceError):
        raise  # the database is away: the task retries, and this claim is swept later
    except Exception as error:  # a digest that cannot be written must not stop the others
        logger.exception("Could not compose the digest %s", digest.pk)
        return _finish(digest, DigestStatus.FAILED, error=f"Could not compose it: {error!r}")
    connection = connection or get_connection()
    try:
        if not connection.send_messages([message]):
            raise OSError("the mail backend sent nothing")
    except OSError as error:  # smtplib.SMTPException is an OSError, as are timeouts
        _close_quietly(connection)  # the next user gets a fresh connection
        return _finish(
            digest,
            DigestStatus.FAILED,
            line_count=content.line_count,
            error=f"The mail server did not take it: {error!r}",
        )
    return _finish(
        digest,
        DigestStatus.SENT,
        sent_at=timezone.now(),
        line_count=content.line_count,
        recipient=user.email,
    )


def _close_quietly(connection: Any) -> None:
    try:
        connection.close()
    except OSError:
        pass


def digests_fail_abandoned(*, now: datetime.datetime | None = None) -> int:
    """Mark failed the digests left "sending" by a worker that died (claimed more than
    ABANDONED_AFTER ago): at most once, they are not sent again (see `digest_send`)."""
    cutoff = (now or timezone.now()) - ABANDONED_AFTER
    return Digest.objects.filter(status=DigestStatus.SENDING, claimed_at__lt=cutoff).update(
        status=DigestStatus.FAILED, error=ABANDONED_ERROR
    )


def digest_recipients(*, frequency: str, period: Period | None = None) -> Iterator[Any]:
    """Active users who follow something and chose this frequency (or never chose, when it is
    the default), less those whose digest for `period` is already claimed; loaded in
    batches, with their preferences."""
    User = get_user_model()
    chose = Q(preferences__digest=frequency)
    if frequency == Preferences._meta.get_field("digest").default:
        chose |= Q(preferences__isnull=True)
    users = User.objects.filter(chose, is_active=True).filter(
        Exists(Follow.objects.filter(user=OuterRef("pk")))
    )
    if period is not None:
        claimed = Digest.objects.filter(
            user=OuterRef("pk"), frequency=frequency, period_end=period.end
        )
        users = users.exclude(Exists(claimed))
    pks = list(users.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), USERS_PER_BATCH):
        batch = pks[start : start + USERS_PER_BATCH]
        yield from User.objects.filter(pk__in=batch).select_related("preferences").order_by("pk")


def digests_send(*, frequency: str, today: datetime.date | None = None) -> dict[str, int]:
    """Send every due digest of this frequency for the period that `today` closes: how many
    were sent, empty and failed, and how many abandoned claims were swept. Running it again
    sends only the digests not yet claimed."""
    today = today or timezone.localdate()
    period = digest_period(frequency=frequency, today=today)
    outcomes: Counter[str] = Counter(abandoned=digests_fail_abandoned())
    connection = get_connection()
    try:
        for user in digest_recipients(frequency=frequency, period=period):
            digest = digest_send(
                user=user, frequency=frequency, period=period, today=today, connection=connection
            )
            outcomes[digest.status if digest else "skipped"] += 1
    finally:
        _close_quietly(connection)
    return dict(outcomes)


@dataclass
class Preview:
    user: Any
    content: DigestContent


def digests_preview(*, frequency: str, today: datetime.date | None = None) -> Iterator[Preview]:
    """What `digests_send` would send now, composed but neither claimed nor sent."""
    today = today or timezone.localdate()
    period = digest_period(frequency=frequency, today=today)
    for user in digest_recipients(frequency=frequency, period=period):
        with translation.override(language_of(user)):
            yield Preview(user, digest_compose(user=user, period=period, today=today))
