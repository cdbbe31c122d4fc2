"""One save, one change: the history rows one save writes share a change key.

A save in the admin writes a meeting, its links one by one, the commitments made at it and
their citations, each a historical record of its own (django-simple-history). Inside
`change_set()` every historical record written is stamped with the same `history_change`, and
only the first is its `history_lead`: `/changes/` lists leads, with the rest of the save
listed under them as its parts, and a record's history shows one line per save.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChangeSetMember(models.Model):
    """The fields every historical record keeps of the save that wrote it."""

    history_change = models.UUIDField(_("save"), null=True, blank=True, db_index=True)
    history_lead = models.BooleanField(
        _("first record of its save"),
        default=True,
        help_text=_("False for the records a save wrote after its first."),
    )

    class Meta:
        abstract = True


@dataclass
class ChangeSet:
    key: uuid.UUID = field(default_factory=uuid.uuid4)
    written: int = 0


_current: ContextVar[ChangeSet | None] = ContextVar("concord_change_set", default=None)


@contextmanager
def change_set() -> Iterator[ChangeSet]:
    """Group the historical records written inside into one change; nested, the outermost
    one wins, so a service called from a save that is already grouped joins it."""
    current = _current.get()
    if current is not None:
        yield current
        return
    token = _current.set(ChangeSet())
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def history_stamp(sender, history_instance, **kwargs) -> None:
    """django-simple-history's pre_create_historical_record receiver: stamp the row with the
    current change, if any; outside one, each row is a change of its own."""
    current = _current.get()
    if current is None or not isinstance(history_instance, ChangeSetMember):
        return
    history_instance.history_change = current.key
    history_instance.history_lead = current.written == 0
    current.written += 1
