"""Small counts on public figures: the one rule for complaint figures below PUBLIC_MIN_COUNT.

A reader who is not signed in (an anonymous visitor, a report built for the public) never
sees a complaint count below k = `settings.PUBLIC_MIN_COUNT` (11 by default, the k of IOM's
public trafficking data) as its number: it shows as "fewer than 11", and its share found true
is hidden with it (share × count would give the count away). Signed-in readers, and reports
for an organisation's staff or of everything, see exact figures.

A hidden figure must not be worked out from what is shown either:

- sums and aggregates shown to such a reader leave the small counts out, in the database
  (`sum_shown`, `shown_q`), and say so (`excluded_note`): every shown total is then the sum
  of rows that are shown, so no subtraction of two shown figures gives a hidden one;
- sorting by count puts the hidden rows together as one value (`order_by_count`);
- filters on a hidden figure's values treat them as not shown (`share_known_q`).

The list selectors mark each row `count_hidden` (`with_count_hidden`); pages, tables,
exports, charts, feeds, the API and the reports ask `is_hidden(record)` and show
`count_text(record)`. A row not marked is treated as hidden when its count is small.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils.translation import gettext, ngettext

from cooperation import numerals

QS = TypeVar("QS", bound=QuerySet[Any])

HIDDEN = "count_hidden"  # the mark `with_count_hidden` puts on each row


class Reader(Protocol):
    """A user, or a report's audience: `visibility.Viewer`, which this module does not import
    because the models (which visibility reads) name small counts through it."""

    @property
    def is_authenticated(self) -> bool: ...


def threshold() -> int:
    """k: public counts below it are not shown as their number to readers not signed in."""
    return settings.PUBLIC_MIN_COUNT


def suppresses(viewer: Reader | None) -> bool:
    """Whether this reader sees small counts as "fewer than k": anyone not signed in, and
    reports for the public audience. Signed-in users and staff reports see exact figures."""
    return viewer is None or not viewer.is_authenticated


def small_q(prefix: str = "") -> Q:
    """Complaint counts (at `prefix`) below k."""
    return Q(**{f"{prefix}count__lt": threshold()})


def shown_q(viewer: Reader | None, prefix: str = "") -> Q:
    """The counts whose number this reader may see: all of them when signed in."""
    return ~small_q(prefix) if suppresses(viewer) else Q()


def with_count_hidden(queryset: QS, viewer: Reader | None) -> QS:
    """Mark each complaint count `count_hidden`: whether it shows as "fewer than k"."""
    hidden: Any = Value(False, output_field=BooleanField())
    if suppresses(viewer):
        hidden = ExpressionWrapper(small_q(), output_field=BooleanField())
    return queryset.annotate(**{HIDDEN: hidden})


def is_hidden(record: Any) -> bool:
    """Whether this loaded complaint count shows as "fewer than k" (`with_count_hidden`).
    A row that was not marked is taken as hidden when small: never shown by mistake."""
    hidden = getattr(record, HIDDEN, None)
    if hidden is None:
        return record.count < threshold()
    return bool(hidden)


def fewer_than(*, native_digits: bool = True) -> str:
    """'fewer than 11', in the reader's language and digits (ASCII digits for exports)."""
    k = numerals.number(threshold()) if native_digits else str(threshold())
    return gettext("fewer than %(n)s") % {"n": k}


def count_text(record: Any) -> str:
    """A complaint count as a page shows it: '1,200' in the reader's digits, or 'fewer than
    11' when hidden."""
    return fewer_than() if is_hidden(record) else numerals.number(record.count)


def exported_count(record: Any) -> int | str:
    """The count as an export's cell: the number, or 'fewer than 11' when hidden."""
    return fewer_than(native_digits=False) if is_hidden(record) else record.count


def shown_share(record: Any) -> Decimal | None:
    """The share found true, None when not known or hidden with its count."""
    return None if is_hidden(record) else record.verified_share


def shown_verified_count(record: Any) -> int | None:
    """Complaints found true (rounded), None when not known or hidden with the count."""
    return None if is_hidden(record) else record.verified_count


def exported(read: Callable[[Any], str]) -> Callable[[Any], str]:
    """An import column's export reader (`imports.columns.attribute`) that writes a blank
    for a hidden count: an export a reader not signed in downloads holds no small count."""

    def read_shown(record: Any) -> str:
        return "" if is_hidden(record) else read(record)

    return read_shown


def sum_shown(expression: Any, viewer: Reader | None, *, filter: Q | None = None) -> Sum:
    """A database sum of complaint figures (`"count"`, or count × share) that leaves out the
    counts this reader may not see: `Sum(..., filter=Q(count__gte=k))` when not signed in."""
    condition = shown_q(viewer)
    if filter is not None:
        condition &= filter
    return Sum(expression, filter=condition) if condition else Sum(expression)


def hidden_rows(viewer: Reader | None) -> Any:
    """A database count of the rows a sum (`sum_shown`) leaves out for this reader: the
    figures an `excluded_note` names; 0 for a signed-in reader."""
    if suppresses(viewer):
        return Count("pk", filter=small_q())
    return Value(0, output_field=IntegerField())


def order_by_count(queryset: QS, *, descending: bool) -> QS:
    """Rows by count, the hidden ones together as one value below every shown count (their
    own order says nothing of their numbers), then by primary key."""
    key = Case(
        When(**{HIDDEN: True}, then=Value(-1)), default=F("count"), output_field=IntegerField()
    )
    if descending:
        return queryset.order_by(key.desc(), "-pk")
    return queryset.order_by(key.asc(), "pk")


def order_by_share(queryset: QS, *, descending: bool) -> QS:
    """Rows by share found true, a hidden count's share taken as not known (last)."""
    key = Case(
        When(**{HIDDEN: True}, then=Value(None)),
        default=F("verified_share"),
        output_field=DecimalField(max_digits=4, decimal_places=3),
    )
    if descending:
        return queryset.order_by(key.desc(nulls_last=True), "-pk")
    return queryset.order_by(key.asc(nulls_last=True), "pk")


def share_known_q(viewer: Reader | None) -> Q:
    """Counts whose share found true this reader is shown: known, and not hidden."""
    return Q(verified_share__isnull=False) & shown_q(viewer)


def excluded_note(excluded: int) -> str:
    """What a total shown to a reader not signed in leaves out: 'excluding 2 figures below
    11'; empty when it leaves out none."""
    if not excluded:
        return ""
    return ngettext(
        "excluding %(count)s figure below %(n)s",
        "excluding %(count)s figures below %(n)s",
        excluded,
    ) % {"count": numerals.number(excluded), "n": numerals.number(threshold())}


def reader_note(viewer: Reader | None) -> str:
    """How small counts show, for a reader who sees them so; empty for a signed-in reader."""
    if not suppresses(viewer):
        return ""
    return gettext(
        "Public figures below %(n)s show as “%(fewer_than)s”, never as the number, so that no "
        "one can be singled out; signed-in users see the exact figure."
    ) % {"n": numerals.number(threshold()), "fewer_than": fewer_than()}
