"""Writes of commitments and their status history: the status is never set, only derived from
the latest entry, and `commitment_add_update` is the one way an entry is added.

The latest entry is the last in `CommitmentUpdate`'s order: undated entries first, then by
date (a month or a year counts from its first day), then by when they were recorded. An entry
that lands earlier is kept as history, and `update_placement` says in words why it does not
move the status; `with_deciding_mark` marks the entry that does, for the pages that list them.
"""

import datetime
from collections.abc import Iterable, Sequence
from typing import Required, Unpack

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from cooperation.change_sets import change_set
from cooperation.dates import format_day, format_moment, format_uncertain_date
from cooperation.models import (
    Commitment,
    CommitmentStatus,
    CommitmentUpdate,
    DatePrecision,
    Meeting,
    Partner,
    Person,
    Source,
    Topic,
)
from cooperation.services.kinds import CitedData, DatedData, MeetingData, meeting_create
from cooperation.services.records import record_create
from cooperation.services.writing import history_attribute, instance_save


class MeetingCommitmentData(CitedData, DatedData, total=False):
    """A commitment made at a meeting being recorded: `CommitmentData` less the meeting."""

    title: Required[str]
    made_by: Required[Partner]
    made_to: Iterable[Partner]
    topics: Iterable[Topic]
    description: str
    kind: str
    made_by_person: Person | None
    target_date: datetime.date | None


class CommitmentData(MeetingCommitmentData, total=False):
    meeting: Meeting | None


class CommitmentUpdateData(DatedData, total=False):
    status: Required[str]
    source: Required[Source]
    passage: Required[str]
    note: str
    recorded_at: datetime.datetime


def commitment_create(
    *, user: AbstractBaseUser | None = None, **data: Unpack[CommitmentData]
) -> Commitment:
    """Record a pledge or instruction with the partners it was made to, its topics and its
    citations; it stands 'announced' until `commitment_add_update` adds to its history."""
    return record_create(model=Commitment, data=data, user=user)


def commitment_deciding_update(*, commitment: Commitment) -> CommitmentUpdate | None:
    """The entry whose status the commitment takes: the last in the history's order."""
    return commitment.updates.last()


def commitment_refresh_status(
    *, commitment: Commitment, user: AbstractBaseUser | None = None
) -> Commitment:
    """Set a commitment's status to that of its latest update (or 'announced' without one)."""
    latest = commitment_deciding_update(commitment=commitment)
    status = latest.status if latest else CommitmentStatus.ANNOUNCED
    if commitment.status != status:
        history_attribute(instance=commitment, user=user)
        commitment.status = status
        commitment.save(update_fields=["status", "updated_at"])
    return commitment


def with_deciding_mark(*, updates: QuerySet[CommitmentUpdate]) -> QuerySet[CommitmentUpdate]:
    """`updates`, each annotated `decides_status`: whether it is its commitment's latest
    entry, the one `commitment_deciding_update` names, in the same query."""
    latest = CommitmentUpdate.objects.filter(commitment=OuterRef("commitment")).reverse()
    return updates.annotate(
        decides_status=ExpressionWrapper(
            Q(pk=Subquery(latest.values("pk")[:1])), output_field=BooleanField()
        )
    )


def _placed_on(update: CommitmentUpdate) -> str:
    """The entry's date as its place in the history reads it: a month or a year counts from
    its first day, and says so."""
    assert update.date is not None
    shown = format_uncertain_date(update.date, update.date_precision)
    if update.date_precision in (DatePrecision.MONTH, DatePrecision.YEAR):
        return _("%(date)s (counted as %(day)s)") % {"date": shown, "day": format_day(update.date)}
    return shown


def update_placement(
    *, update: CommitmentUpdate, deciding: CommitmentUpdate | None = None
) -> str | None:
    """Why a saved entry does not decide its commitment's status, in words for the person who
    recorded it; None when it does. `deciding` is the commitment's latest entry, read from the
    database when not given. Call it after every entry of a save is in: a later one may be
    the one that decides."""
    if deciding is None:
        deciding = commitment_deciding_update(commitment=update.commitment)
    if deciding is None or deciding.pk == update.pk:
        return None
    status = deciding.get_status_display()
    if update.date is None and deciding.date is not None:
        return _(
            "Recorded as history: the status stays %(status)s because this entry has no date, "
            "and undated entries come before dated ones."
        ) % {"status": status}
    if update.date is None:
        return _(
            "Recorded as history: the status stays %(status)s because another undated entry "
            "was recorded after this one, on %(recorded)s."
        ) % {"status": status, "recorded": format_moment(deciding.recorded_at)}
    if update.date == deciding.date:
        return _(
            "Recorded as history: the status stays %(status)s because the latest entry has "
            "the same date, %(date)s, and was recorded after this one."
        ) % {"status": status, "date": _placed_on(deciding)}
    return _(
        "Recorded as history: the status stays %(status)s because this entry is dated "
        "%(date)s, before %(latest)s, the date of the latest entry."
    ) % {"status": status, "date": _placed_on(update), "latest": _placed_on(deciding)}


@change_set()
@transaction.atomic
def commitment_add_update(
    *,
    commitment: Commitment,
    user: AbstractBaseUser | None = None,
    **data: Unpack[CommitmentUpdateData],
) -> CommitmentUpdate:
    """Append one entry to a commitment's history and bring its status in line with it; an
    entry whose passage is not in its source is refused, naming the field, and nothing changes.
    An undated or earlier-dated entry is kept but leaves the status as it was: ask
    `update_placement` why, once the save's entries are all in."""
    update = CommitmentUpdate(commitment=commitment, **data)
    instance_save(instance=update, user=user)
    commitment_refresh_status(commitment=commitment, user=user)
    return update


@change_set()
@transaction.atomic
def meeting_create_with_commitments(
    *,
    user: AbstractBaseUser | None = None,
    commitments: Sequence[MeetingCommitmentData] = (),
    **data: Unpack[MeetingData],
) -> Meeting:
    """Record a meeting and the commitments made at it, all or nothing and as one change, as
    the admin's meeting form with its commitment rows does. An error in the meeting is keyed by its field, one in
    a commitment by `commitments.<index>.<field>`; nothing is written if there is any."""
    errors: dict[str, list[str]] = {}
    try:
        meeting = meeting_create(user=user, **data)
    except ValidationError as error:
        errors |= error.message_dict
        meeting = None
    for index, commitment in enumerate(commitments):
        try:
            with transaction.atomic():
                commitment_create(user=user, meeting=meeting, **commitment)
        except ValidationError as error:
            errors |= {f"commitments.{index}.{name}": m for name, m in error.message_dict.items()}
    if errors:
        raise ValidationError(errors)
    assert meeting is not None
    return meeting
