"""Writes of commitments and their status history: the status is never set, only derived from
the latest entry, and `commitment_add_update` is the one way an entry is added."""

import datetime
from collections.abc import Iterable, Sequence
from typing import Required, Unpack

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from cooperation.change_sets import change_set
from cooperation.models import (
    Commitment,
    CommitmentStatus,
    CommitmentUpdate,
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


def commitment_refresh_status(
    *, commitment: Commitment, user: AbstractBaseUser | None = None
) -> Commitment:
    """Set a commitment's status to that of its latest update (or 'announced' without one)."""
    latest = commitment.updates.last()
    status = latest.status if latest else CommitmentStatus.ANNOUNCED
    if commitment.status != status:
        history_attribute(instance=commitment, user=user)
        commitment.status = status
        commitment.save(update_fields=["status", "updated_at"])
    return commitment


@change_set()
@transaction.atomic
def commitment_add_update(
    *,
    commitment: Commitment,
    user: AbstractBaseUser | None = None,
    **data: Unpack[CommitmentUpdateData],
) -> CommitmentUpdate:
    """Append one entry to a commitment's history and bring its status in line with it; an
    entry whose passage is not in its source is refused, naming the field, and nothing changes."""
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
