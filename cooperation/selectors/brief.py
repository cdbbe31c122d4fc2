"""A partner brief: what happened since the last meeting with a partner, for whoever
prepares the next one (the profile's "Since our last meeting" and the brief PDF).

The window runs from the day of the latest dated meeting with the partner, on or before
today, that the viewer may see, to today, both days included: what was agreed at that
meeting is part of what follows it. With no such meeting, the brief covers the partner's
whole record. Only dated records are placed in the window (an undated one cannot be).

Every section is one query through `cooperation.visibility`, holding at most `LISTED`
rows and the section's total (a window count), so the brief costs the same number of
queries for a partner with three commitments and one with thirty thousand. The overdue and
due-soon sections read only their rows: their totals come, with the open and stale ones,
from one aggregate over the partner's commitments (`follow_up_counts`, as on the dashboard).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
    Window,
)
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils.http import urlencode

from cooperation import small_counts, visibility
from cooperation.models import (
    Citation,
    Commitment,
    CommitmentQuerySet,
    CommitmentStatus,
    CommitmentUpdate,
    ComplaintCount,
    Meeting,
    Milestone,
    Partner,
    Person,
    Source,
    due_soon_q,
    overdue_q,
)
from cooperation.selectors.records import follow_up_counts
from cooperation.visibility import Viewer

# Rows a section lists: the brief fits one or two printed pages.
LISTED = 8


@dataclass(frozen=True)
class BriefSection:
    """The first rows of one section of the brief, how many there are in all, and the table
    that lists every one of them."""

    rows: list[Any]
    total: int
    table_url: str = ""

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.rows))


@dataclass(frozen=True)
class QuotedRecord:
    """What a quote was said about: a meeting, commitment, milestone or complaint count."""

    kind: str
    title: str
    date: datetime.date | None
    url: str


@dataclass(frozen=True)
class PartnerBrief:
    """What happened with a partner since the last meeting with it the viewer may see."""

    partner: Partner
    today: datetime.date
    last_meeting: Meeting | None
    status_changes: BriefSection  # CommitmentUpdate, with `commitment` and `made_by_shown`
    new_commitments: BriefSection  # Commitment, with follow-up flags and `made_by_shown`
    complaint_counts: BriefSection  # ComplaintCount, with `count_hidden`
    milestones: BriefSection
    quotes: BriefSection  # Citation, with `quoted_person` and `quoted_record`
    overdue: BriefSection  # Commitment, past its target date and not fulfilled
    due_soon: BriefSection
    open_total: int
    stale_total: int
    open_url: str = ""
    stale_url: str = ""
    min_public_count: int = field(default=0)

    @property
    def since(self) -> datetime.date | None:
        """The first day of the window; None when it covers the whole record."""
        return self.last_meeting.date if self.last_meeting else None

    @property
    def whole_record(self) -> bool:
        return self.last_meeting is None

    @property
    def is_empty(self) -> bool:
        """Nothing happened in the window and nothing is open."""
        sections = (
            self.status_changes,
            self.new_commitments,
            self.complaint_counts,
            self.milestones,
            self.quotes,
        )
        return not any(s.total for s in sections) and not self.open_total


def last_meeting_get(
    *, viewer: Viewer | None, partner: Partner, today: datetime.date
) -> Meeting | None:
    """The latest dated meeting with the partner, on or before today, the viewer may see."""
    meetings = Meeting.objects.filter(partners=partner, date__isnull=False, date__lte=today)
    return visibility.restrict(meetings, viewer).order_by(F("date").desc(), F("pk").desc()).first()


def _in_window(field_name: str, since: datetime.date | None, today: datetime.date) -> Q:
    """In the window: dated from `since` to today; for the whole record (no `since`), dated
    up to today or not dated at all."""
    if since is None:
        return Q(**{f"{field_name}__lte": today}) | Q(**{f"{field_name}__isnull": True})
    return Q(**{f"{field_name}__gte": since, f"{field_name}__lte": today})


def _with_total(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """Each row knows how many rows the whole queryset has (`total`), read in the same query."""
    return queryset.annotate(total=Window(Count("pk")))


def _section(queryset: QuerySet[Any], table_url: str = "") -> BriefSection:
    rows = list(queryset[:LISTED])
    return BriefSection(rows=rows, total=rows[0].total if rows else 0, table_url=table_url)


def _counted_section(queryset: QuerySet[Any], total: int, table_url: str = "") -> BriefSection:
    """A section whose total another query counted: only its first rows are read here."""
    return BriefSection(rows=list(queryset[:LISTED]), total=total, table_url=table_url)


def _shown_flag(viewer: Viewer | None, model: type, prefix: str) -> ExpressionWrapper:
    """Whether the related record at `prefix` may be shown to the viewer, as a column."""
    condition = Q(**{f"{prefix}pk__isnull": False}) & visibility.visible_q(viewer, model, prefix)
    return ExpressionWrapper(condition, output_field=BooleanField())


def _table(name: str, **params: Any) -> str:
    query = {key: value for key, value in params.items() if value not in (None, "")}
    return f"{reverse(name)}?{urlencode(query)}"


def _commitments(viewer: Viewer | None, partner: Partner) -> CommitmentQuerySet:
    """The commitments the partner made or received that the viewer may see."""
    return visibility.restrict(Commitment.objects.involving(partner), viewer).order_by()


def _status_changes(
    viewer: Viewer | None, partner: Partner, since: datetime.date | None, today: datetime.date
) -> BriefSection:
    """Status updates dated in the window of the partner's commitments, newest first; the
    announcement that opens a commitment's history is its making, not a change. An update
    shows only with its source, as in reports."""
    source_shown = visibility.visible_q(viewer, Source, "source__")
    first = (
        CommitmentUpdate.objects.filter(commitment=OuterRef("commitment"))
        .filter(source_shown)
        .order_by(F("date").asc(nulls_first=True), "recorded_at", "pk")
        .values("pk")[:1]
    )
    updates = (
        CommitmentUpdate.objects.filter(_in_window("date", since, today))
        .filter(commitment__in=_commitments(viewer, partner).values("pk"))
        .filter(source_shown)
        .annotate(first_pk=Subquery(first))
        .exclude(status=CommitmentStatus.ANNOUNCED, pk=F("first_pk"))
        .annotate(made_by_shown=_shown_flag(viewer, Partner, "commitment__made_by__"))
        .select_related("commitment__made_by")
        .order_by(F("date").desc(nulls_last=True), F("recorded_at").desc(), F("pk").desc())
    )
    return _section(
        _with_total(updates), _table("cooperation:commitment-list", partner=partner.slug)
    )


def _commitment_rows(
    viewer: Viewer | None, queryset: CommitmentQuerySet, today: datetime.date
) -> QuerySet[Commitment]:
    """Commitments with their follow-up marks and whether their maker may be shown."""
    return (
        queryset.with_follow_up(today)
        .annotate(made_by_shown=_shown_flag(viewer, Partner, "made_by__"))
        .select_related("made_by")
    )


def _complaint_counts(
    viewer: Viewer | None, partner: Partner, since: datetime.date | None, today: datetime.date
) -> BriefSection:
    """Complaint figures the partner received whose period ends in the window, latest first.
    A public figure below PUBLIC_MIN_COUNT is marked `count_hidden` for a reader who is not
    signed in (a public report included): it shows as "fewer than N", never as the number."""
    counts = visibility.restrict(
        ComplaintCount.objects.filter(received_by=partner).filter(
            _in_window("period_end", since, today)
        ),
        viewer,
    )
    counts = small_counts.with_count_hidden(counts, viewer).order_by(
        "-period_end", "-period_start", "-pk"
    )
    return _section(
        _with_total(counts),
        _table("cooperation:complaintcount-list", received_by=partner.slug, date_from=since),
    )


def _milestones(
    viewer: Viewer | None, partner: Partner, since: datetime.date | None, today: datetime.date
) -> BriefSection:
    milestones = visibility.restrict(
        Milestone.objects.filter(partners=partner).filter(_in_window("date", since, today)),
        viewer,
    ).order_by(F("date").desc(nulls_last=True), "title", "pk")
    return _section(
        _with_total(milestones),
        _table("cooperation:milestone-list", partner=partner.slug, date_from=since),
    )


# The records a quote can be about, with the field that dates each.
QUOTED_KINDS: list[tuple[type[Model], str]] = [
    (Meeting, "date"),
    (Commitment, "date"),
    (Milestone, "date"),
    (ComplaintCount, "period_end"),
]


def _quotes(
    viewer: Viewer | None, partner: Partner, since: datetime.date | None, today: datetime.date
) -> BriefSection:
    """What the partner's people were quoted saying, on records dated in the window that the
    viewer may see, from sources they may see, newest first. The quoted record's title and
    address are read in the same query (one subquery per kind of record)."""
    types = ContentType.objects.get_for_models(*(model for model, _date in QUOTED_KINDS))
    about = Q()
    dated, titles, keys = [], [], []
    for model, date_field in QUOTED_KINDS:
        content_type = types[model]
        records = visibility.restrict(model._default_manager.all(), viewer).filter(
            _in_window(date_field, since, today), pk=OuterRef("object_id")
        )
        about |= Q(content_type=content_type) & Q(Exists(records))
        of_kind = Q(content_type=content_type)
        dated.append(When(of_kind, then=Subquery(records.values(date_field)[:1])))
        title = "title" if model is not ComplaintCount else "received_by__name"
        titles.append(When(of_kind, then=Subquery(records.values(title)[:1])))
        key = "slug" if model in (Meeting, Milestone) else "pk"
        keys.append(
            When(
                of_kind,
                then=Subquery(
                    records.annotate(key=Cast(key, output_field=CharField())).values("key")[:1]
                ),
            )
        )
    quotes = (
        Citation.objects.filter(quoted_person__partner=partner)
        .filter(visibility.visible_q(viewer, Source, "source__"))
        .filter(visibility.visible_q(viewer, Person, "quoted_person__"))
        .filter(about)
        .annotate(
            record_date=Case(*dated, output_field=DateField()),
            record_title=Case(*titles, output_field=CharField()),
            record_key=Case(*keys, output_field=CharField()),
        )
        .select_related("source", "quoted_person__partner", "content_type")
        .order_by(F("record_date").desc(nulls_last=True), "pk")
    )
    section = _section(_with_total(quotes))
    for citation in section.rows:
        citation.quoted_person = visibility.quote_attribution(viewer, citation)
        model = citation.content_type.model_class()
        citation.quoted_record = QuotedRecord(
            kind=str(model._meta.verbose_name),
            title=citation.record_title,
            date=citation.record_date,
            url=reverse(f"cooperation:{model._meta.model_name}-detail", args=[citation.record_key]),
        )
    return section


def partner_brief(*, viewer: Viewer | None, partner: Partner, today: datetime.date) -> PartnerBrief:
    """What happened with `partner` since the last meeting with it the viewer may see (its
    whole record when there is none), and what is open, overdue or due soon today."""
    meeting = last_meeting_get(viewer=viewer, partner=partner, today=today)
    since = meeting.date if meeting else None
    commitments = _commitments(viewer, partner)
    new = _commitment_rows(
        viewer, commitments.filter(_in_window("date", since, today)), today
    ).order_by(F("date").desc(nulls_last=True), "title", "pk")
    # The latest missed first: those are the ones the next meeting can still act on.
    overdue = _commitment_rows(viewer, commitments.filter(overdue_q(today)), today).order_by(
        F("target_date").desc(), "title", "pk"
    )
    due_soon = _commitment_rows(viewer, commitments.filter(due_soon_q(today)), today).order_by(
        "target_date", "title", "pk"
    )
    totals = follow_up_counts(commitments, today)
    commitment_table = "cooperation:commitment-list"
    return PartnerBrief(
        partner=partner,
        today=today,
        last_meeting=meeting,
        status_changes=_status_changes(viewer, partner, since, today),
        new_commitments=_section(
            _with_total(new), _table(commitment_table, partner=partner.slug, date_from=since)
        ),
        complaint_counts=_complaint_counts(viewer, partner, since, today),
        milestones=_milestones(viewer, partner, since, today),
        quotes=_quotes(viewer, partner, since, today),
        overdue=_counted_section(
            overdue,
            totals["overdue"],
            _table(commitment_table, partner=partner.slug, state="overdue"),
        ),
        due_soon=_counted_section(
            due_soon,
            totals["due_soon"],
            _table(commitment_table, partner=partner.slug, state="due_soon"),
        ),
        open_total=totals["open"],
        stale_total=totals["stale"],
        open_url=_table(commitment_table, partner=partner.slug, state="open"),
        stale_url=_table(commitment_table, partner=partner.slug, state="stale"),
        min_public_count=small_counts.threshold(),
    )
