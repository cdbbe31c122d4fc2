"""The timeline: every meeting, commitment, status update, milestone and complaint period
the user may see, in one chronological list.

A page is one UNION query of (kind, pk, date) rows, each kind read from its date index only
as far as the page reaches, then one query per kind on the page.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import CharField, F, Prefetch, Q, Value
from django.utils import formats
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cooperation import small_counts, visibility
from cooperation.dates import format_period, format_uncertain_date
from cooperation.models import (
    Commitment,
    CommitmentStatus,
    CommitmentUpdate,
    ComplaintCount,
    Meeting,
    Milestone,
    Partner,
    Topic,
)
from cooperation.pagination import page_clamp
from cooperation.selectors.records import (
    QS,
    complaintcount_list,
    linked_to,
)
from cooperation.translations import name_html
from cooperation.visibility import Viewer


class EntryKind:
    MEETING = "meeting"
    COMMITMENT = "commitment"
    UPDATE = "update"
    MILESTONE = "milestone"
    COMPLAINTS = "complaints"

    choices = [
        (MEETING, gettext_lazy("Meetings")),
        (COMMITMENT, gettext_lazy("Commitments made")),
        (UPDATE, gettext_lazy("Commitment updates")),
        (MILESTONE, gettext_lazy("Milestones")),
        (COMPLAINTS, gettext_lazy("Complaint periods")),
    ]
    labels = {
        MEETING: gettext_lazy("Meeting"),
        COMMITMENT: gettext_lazy("Commitment"),
        UPDATE: gettext_lazy("Commitment update"),
        MILESTONE: gettext_lazy("Milestone"),
        COMPLAINTS: gettext_lazy("Complaint figures"),
    }


@dataclass
class TimelineEntry:
    """One dated event on the timeline, whatever kind of record it comes from."""

    kind: str
    pk: int
    date: datetime.date | None
    precision: str
    inferred: str
    end: datetime.date | None = None
    title: str = ""
    url: str = ""
    detail: str = ""
    partners: list = field(default_factory=list)
    record: object = None
    named: object = None  # the record the title names, shown in the reader's language

    @property
    def title_html(self):
        """The title as a page shows it: the named record's, translated or marked."""
        return name_html(self.named) if self.named is not None else format_html("{}", self.title)

    @property
    def kind_label(self) -> str:
        return str(EntryKind.labels[self.kind])

    @property
    def date_display(self) -> str:
        if self.kind == EntryKind.COMPLAINTS and self.date and self.end:
            return format_period(self.date, self.end, self.inferred)
        return format_uncertain_date(self.date, self.precision, self.inferred)


@dataclass
class TimelineFilters:
    """What a timeline is narrowed to; empty fields mean no narrowing."""

    partner: Partner | None = None
    topic: Topic | None = None
    kinds: list[str] = field(default_factory=list)
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    oldest_first: bool = False


def _in_range(filters: TimelineFilters, start: str, end: str | None = None) -> Q:
    q = Q()
    if filters.date_from:
        q &= Q(**{f"{end or start}__gte": filters.date_from})
    if filters.date_to:
        q &= Q(**{f"{start}__lte": filters.date_to})
    return q


def _linked(queryset: QS, filters: TimelineFilters) -> QS:
    """Meetings or milestones in the filters' range, with their partner and topic."""
    queryset = queryset.filter(_in_range(filters, "date"))
    if filters.partner:
        queryset = linked_to(queryset, "partners", filters.partner)
    if filters.topic:
        queryset = linked_to(queryset, "topics", filters.topic)
    return queryset


def _timeline_union(*, user: Viewer | None, filters: TimelineFilters, limit: int | None = None):
    """One UNION query of (kind, pk, date) rows over every kind of timeline entry, in timeline
    order. With `limit`, each kind gives only its first `limit` rows in that order (read from
    its date index) before they are merged, so a page costs the same however many rows there
    are; the database must allow LIMIT inside a UNION (PostgreSQL does, SQLite does not)."""
    kinds = filters.kinds or [value for value, _label in EntryKind.choices]
    partner, topic = filters.partner, filters.topic
    if not connection.features.supports_slicing_ordering_in_compound:
        limit = None
    parts = []

    def rows(queryset, kind, date_field):
        entries = queryset.annotate(
            entry_kind=Value(kind, output_field=CharField()),
            entry_date=F(date_field),
        ).values_list("entry_kind", "pk", "entry_date")
        return entries.order_by(*_order(date_field, filters))

    if EntryKind.MEETING in kinds:
        meetings = _linked(Meeting.objects.visible_to(user), filters)
        parts.append(rows(meetings, EntryKind.MEETING, "date"))

    commitments = Commitment.objects.visible_to(user)
    if partner:
        commitments = commitments.involving(partner)
    if topic:
        commitments = linked_to(commitments, "topics", topic)
    if EntryKind.COMMITMENT in kinds:
        parts.append(
            rows(commitments.filter(_in_range(filters, "date")), EntryKind.COMMITMENT, "date")
        )
    if EntryKind.UPDATE in kinds:
        # An 'announced' entry repeats the commitment's own entry; only later steps show.
        if partner or topic:
            updates = CommitmentUpdate.objects.filter(
                commitment__in=commitments.order_by().values("pk")
            )
        else:
            updates = CommitmentUpdate.objects.visible_to(user)
        updates = updates.exclude(status=CommitmentStatus.ANNOUNCED).filter(
            _in_range(filters, "date")
        )
        parts.append(rows(updates, EntryKind.UPDATE, "date"))
    if EntryKind.MILESTONE in kinds:
        milestones = _linked(Milestone.objects.visible_to(user), filters)
        parts.append(rows(milestones, EntryKind.MILESTONE, "date"))
    if EntryKind.COMPLAINTS in kinds and not topic:
        # Complaint figures carry no topic of their own: a topic filter leaves them out.
        counts = ComplaintCount.objects.visible_to(user).filter(
            _in_range(filters, "period_start", "period_end")
        )
        if partner:
            counts = counts.filter(received_by=partner)
        parts.append(rows(counts, EntryKind.COMPLAINTS, "period_start"))

    if not parts:
        return None
    if len(parts) == 1:  # one kind: its own query, in timeline order
        union = parts[0]
    elif limit is None:
        union = parts[0].order_by().union(*(part.order_by() for part in parts[1:]), all=True)
    else:
        union = parts[0][:limit].union(*(part[:limit] for part in parts[1:]), all=True)
    if filters.oldest_first:
        return union.order_by(F("entry_date").asc(nulls_last=True), "entry_kind", "pk")
    return union.order_by(F("entry_date").desc(nulls_last=True), "entry_kind", "-pk")


def _order(date_field: str, filters: TimelineFilters) -> list:
    """One kind's rows in timeline order (the kind is the same on every row), as its
    newest-first index has them."""
    if filters.oldest_first:
        return [F(date_field).asc(nulls_last=True), "pk"]
    if date_field == "period_start":  # never empty, indexed plainly descending
        return [F(date_field).desc(), "-pk"]
    return [F(date_field).desc(nulls_last=True), "-pk"]


def _hydrate(
    *, user: Viewer | None, rows: list[tuple[str, int, datetime.date | None]]
) -> list[TimelineEntry]:
    """Turn (kind, pk, date) rows into entries, one query per kind present (plus prefetches)."""
    ids: dict[str, list[int]] = defaultdict(list)
    for kind, pk, _date in rows:
        ids[kind].append(pk)
    loaded: dict[tuple[str, int], TimelineEntry] = {}
    partners_prefetch = Prefetch(
        "partners", queryset=Partner.objects.visible_to(user).order_by("name")
    )

    if ids[EntryKind.MEETING]:
        meetings = Meeting.objects.visible_to(user).prefetch_related(partners_prefetch)
        for m in meetings.filter(pk__in=ids[EntryKind.MEETING]):
            loaded[(EntryKind.MEETING, m.pk)] = TimelineEntry(
                EntryKind.MEETING, m.pk, m.date, m.date_precision, m.date_inferred,
                title=m.title, url=m.get_absolute_url(), detail=m.location,
                partners=list(m.partners.all()), record=m, named=m,
            )  # fmt: skip
    if ids[EntryKind.COMMITMENT]:
        commitments = (
            Commitment.objects.visible_to(user)
            .select_related("made_by")
            .with_follow_up()
            .prefetch_related(
                Prefetch("made_to", queryset=Partner.objects.visible_to(user).order_by("name"))
            )
        )
        for c in commitments.filter(pk__in=ids[EntryKind.COMMITMENT]):
            made_by = visibility.shown_or_none(user, c.made_by)
            partners = ([made_by] if made_by else []) + list(c.made_to.all())
            loaded[(EntryKind.COMMITMENT, c.pk)] = TimelineEntry(
                EntryKind.COMMITMENT, c.pk, c.date, c.date_precision, c.date_inferred,
                title=c.title, url=c.get_absolute_url(), detail=c.get_status_display(),
                partners=partners, record=c, named=c,
            )  # fmt: skip
    if ids[EntryKind.UPDATE]:
        updates = CommitmentUpdate.objects.filter(pk__in=ids[EntryKind.UPDATE]).select_related(
            "commitment__made_by"
        )
        for u in updates:
            made_by = u.commitment.made_by
            loaded[(EntryKind.UPDATE, u.pk)] = TimelineEntry(
                EntryKind.UPDATE, u.pk, u.date, u.date_precision, u.date_inferred,
                title=u.commitment.title, url=u.commitment.get_absolute_url(),
                detail=u.get_status_display(),
                partners=[made_by] if visibility.is_visible(user, made_by) else [],
                record=u, named=u.commitment,
            )  # fmt: skip
    if ids[EntryKind.MILESTONE]:
        milestones = Milestone.objects.visible_to(user).prefetch_related(partners_prefetch)
        for s in milestones.filter(pk__in=ids[EntryKind.MILESTONE]):
            loaded[(EntryKind.MILESTONE, s.pk)] = TimelineEntry(
                EntryKind.MILESTONE, s.pk, s.date, s.date_precision, s.date_inferred,
                title=s.title, url=s.get_absolute_url(), detail=s.get_kind_display(),
                partners=list(s.partners.all()), record=s, named=s,
            )  # fmt: skip
    if ids[EntryKind.COMPLAINTS]:
        for cc in complaintcount_list(user=user).filter(pk__in=ids[EntryKind.COMPLAINTS]):
            loaded[(EntryKind.COMPLAINTS, cc.pk)] = TimelineEntry(
                EntryKind.COMPLAINTS, cc.pk, cc.period_start, "day", cc.period_inferred,
                end=cc.period_end, url=cc.get_absolute_url(),
                title=_("%(count)s complaints received") % {"count": small_counts.count_text(cc)},
                partners=[p for p in [visibility.shown_or_none(user, cc.received_by)] if p],
                record=cc,
            )  # fmt: skip
    return [loaded[(kind, pk)] for kind, pk, _date in rows if (kind, pk) in loaded]


@dataclass
class TimelinePage:
    """A page of timeline entries, newest first unless asked otherwise. Pages are not
    counted: a page knows whether another follows it."""

    entries: list[TimelineEntry]
    number: int
    has_next: bool = False
    per_page: int = 50

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def first_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.entries else 0

    @property
    def last_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.entries)


def timeline_page(
    *, user, filters: TimelineFilters | None = None, page: int = 1, per_page: int = 50
) -> TimelinePage:
    """One page of the timeline: one UNION query for the page (and one row more, to know
    whether another page follows), then one query per kind of entry on it. A page past the
    end gives the last page; only then are the entries counted."""
    filters = filters or TimelineFilters()
    number = max(1, page)
    offset = (number - 1) * per_page
    union = _timeline_union(user=user, filters=filters, limit=offset + per_page + 1)
    if union is None:
        return TimelinePage(entries=[], number=1, per_page=per_page)
    rows = list(union[offset : offset + per_page + 1])
    if not rows and number > 1:
        count = _timeline_union(user=user, filters=filters).count()
        number, _pages = page_clamp(requested=number, count=count, per_page=per_page)
        offset = (number - 1) * per_page
        union = _timeline_union(user=user, filters=filters, limit=offset + per_page + 1)
        rows = list(union[offset : offset + per_page + 1])
    return TimelinePage(
        entries=_hydrate(user=user, rows=rows[:per_page]),
        number=number,
        has_next=len(rows) > per_page,
        per_page=per_page,
    )


def timeline_latest(*, user: Viewer | None, limit: int = 8, filters: TimelineFilters | None = None):
    """The latest timeline entries, without counting them all."""
    union = _timeline_union(user=user, filters=filters or TimelineFilters(), limit=limit)
    if union is None:
        return []
    return _hydrate(user=user, rows=list(union[:limit]))


def timeline_groups(entries: list[TimelineEntry]) -> list[tuple[str, list[tuple[str, list]]]]:
    """Group entries by year, then month, keeping their order. Entries known only to the year
    go under 'Month unknown'; entries without a date under 'Date unknown'."""
    groups: list[tuple[str, list[tuple[str, list]]]] = []
    for entry in entries:
        if entry.date is None:
            year, month = _("Date unknown"), ""
        elif entry.precision == "year":
            year, month = str(entry.date.year), _("Month unknown")
        else:
            year, month = str(entry.date.year), formats.date_format(entry.date, "F")
        if not groups or groups[-1][0] != year:
            groups.append((year, []))
        months = groups[-1][1]
        if not months or months[-1][0] != month:
            months.append((month, []))
        months[-1][1].append(entry)
    return groups
