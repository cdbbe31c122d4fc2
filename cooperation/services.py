"""Writes to the cooperation records. Reads live in selectors.py."""

from django.db import transaction

from cooperation.models import Commitment, CommitmentStatus, CommitmentUpdate


def commitment_refresh_status(*, commitment: Commitment) -> Commitment:
    """Set a commitment's status to that of its latest update (or 'announced' without one)."""
    latest = commitment.updates.order_by().order_by(*CommitmentUpdate._meta.ordering).last()
    status = latest.status if latest else CommitmentStatus.ANNOUNCED
    if commitment.status != status:
        commitment.status = status
        commitment.save(update_fields=["status", "updated_at"])
    return commitment


@transaction.atomic
def commitment_add_update(*, commitment: Commitment, **fields) -> CommitmentUpdate:
    """Append one entry to a commitment's history and bring its status in line with it."""
    update = CommitmentUpdate(commitment=commitment, **fields)
    update.full_clean()
    update.save()
    commitment_refresh_status(commitment=commitment)
    return update
