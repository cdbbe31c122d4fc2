"""Following: a signed-in user follows partners, topics and commitments they may see, and hears
about them in their digest (`cooperation.digests`).

Writes (`follow`, `unfollow`) and reads (`followed_record_get`, `following_of`, `is_following`)
of one user's follows. Uniqueness is the database's (`Follow`'s constraints); a follow is only
ever made of a record the user may see (`cooperation.visibility`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet

from cooperation import visibility
from cooperation.models import (
    FOLLOWED_KINDS,
    Commitment,
    DigestFrequency,
    Follow,
    Partner,
    Preferences,
    Topic,
)

FOLLOWABLE: dict[str, type[Model]] = {
    "partner": Partner,
    "topic": Topic,
    "commitment": Commitment,
}
assert set(FOLLOWABLE) == set(FOLLOWED_KINDS)


def kind_of(record: Any) -> str:
    """ "partner", "topic" or "commitment"; ValueError for anything that cannot be followed."""
    for kind, model in FOLLOWABLE.items():
        if isinstance(record, model):
            return kind
    raise ValueError(f"{type(record).__name__} cannot be followed")


def followed_record_get(*, user: Any, kind: str, pk: int) -> Any:
    """The partner, topic or commitment of this kind and id that the user may see; None when
    there is no such kind, no such record, or not one they may see (alike, so a refusal does
    not tell a hidden record from a missing one)."""
    model = FOLLOWABLE.get(kind)
    if model is None:
        return None
    return model.objects.visible_to(user).filter(pk=pk).first()  # type: ignore[attr-defined]


def follow(*, user: Any, record: Any) -> Follow:
    """Follow one record the user may see; following it again changes nothing."""
    if not user.is_authenticated or not visibility.is_visible(user, record):
        raise PermissionDenied("Only a signed-in user follows, and only what they may see.")
    # get_or_create retries the read when a concurrent follow wins the unique constraint.
    followed, _created = Follow.objects.get_or_create(user=user, **{kind_of(record): record})
    return followed


def unfollow(*, user: Any, record: Any) -> bool:
    """Stop following one record; True if the user followed it."""
    if not user.is_authenticated:
        return False
    deleted, _by_model = Follow.objects.filter(user=user, **{kind_of(record): record}).delete()
    return bool(deleted)


def is_following(*, user: Any, record: Any) -> bool:
    """Whether the user follows this record (one query; False for anonymous visitors)."""
    if not user.is_authenticated:
        return False
    return Follow.objects.filter(user=user, **{kind_of(record): record}).exists()


@dataclass
class Following:
    """What one user follows, each kind in name order, only what they may still see."""

    partners: list[Partner] = field(default_factory=list)
    topics: list[Topic] = field(default_factory=list)
    commitments: list[Commitment] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.partners) + len(self.topics) + len(self.commitments)


def _followed(queryset: QuerySet, user: Any) -> QuerySet:
    """The records of `queryset` the user follows and may see: a join on their follows (one
    per record, by the constraint), so no record repeats."""
    return queryset.visible_to(user).filter(follows__user=user)  # type: ignore[attr-defined]


def following_of(*, user: Any) -> Following:
    """The Following page's lists: three queries, however many follows."""
    commitments = _followed(Commitment.objects.with_follow_up(), user).order_by("title")
    return Following(
        partners=list(_followed(Partner.objects.all(), user).order_by("name")),
        topics=list(_followed(Topic.objects.all(), user).order_by("name")),
        commitments=list(commitments),
    )


def topics_to_follow(*, user: Any) -> QuerySet[Topic]:
    """Topics the user does not follow yet (topics have no page of their own to follow from)."""
    return Topic.objects.visible_to(user).exclude(follows__user=user).order_by("name")


def digest_frequency_of(user: Any) -> str:
    """How often the user hears about what they follow: their choice, else the default."""
    chosen = Preferences.objects.filter(user=user).values_list("digest", flat=True).first()
    return chosen or Preferences._meta.get_field("digest").default


def digest_frequency_set(*, user: Any, frequency: str) -> None:
    """Save how often the user gets their digest ("none" for never)."""
    if frequency not in DigestFrequency.values:
        raise ValueError(f"unknown digest frequency {frequency!r}")
    Preferences.objects.update_or_create(user=user, defaults={"digest": frequency})
