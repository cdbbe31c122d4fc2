"""Reads of the cooperation records, always on behalf of a user.

Every page, table, chart, feed and export reads through these functions, so the
visibility rule lives in one place: anonymous visitors get public records only,
signed-in users get internal ones too. Related records (partners of a meeting, the
meeting a commitment was made at, the source of a citation) are filtered by the
same rule; a related record the user may not see is left out, never shown.

The chart and timeline helpers return plain Python data so the PDF reports can
reuse them with `cooperation.charts`.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    DateField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cooperation.dates import format_period, format_uncertain_date
from cooperation.models import (
    OPEN_COMMITMENT_STATUSES,
    Citation,
    Commitment,
    CommitmentStatus,
    CommitmentUpdate,
    ComplaintCount,
    Meeting,
    Milestone,
    Partner,
    Person,
    Source,
    Topic,
    Visibility,
)


def _signed_in(user) -> bool:
    return user is not None and user.is_authenticated


def words_q(value: str, *fields: str) -> Q:
    """Every word (the first ten) must appear, case-insensitively, in at least one field."""
    query = Q()
    for word in value.split()[:10]:
        any_field = Q()
        for name in fields:
            any_field |= Q(**{f"{name}__icontains": word})
        query &= any_field
    return query


def is_visible(*, user, record) -> bool:
    """Whether this user may see one already-loaded record (None is never visible)."""
    if record is None:
        return False
    return _signed_in(user) or record.visibility == Visibility.PUBLIC


def _visible_q(user, prefix: str = "") -> Q:
    """A Q matching records (or, with a prefix, related records) this user may see."""
    if _signed_in(user):
        return Q()
    return Q(**{f"{prefix}visibility": Visibility.PUBLIC})


def _visible_flag(user, prefix: str):
    """An annotation: True when the related record at `prefix` exists and the user may see it."""
    if _signed_in(user):
        return ExpressionWrapper(Q(**{f"{prefix}isnull": False}), output_field=BooleanField())
    return ExpressionWrapper(
        Q(**{f"{prefix}visibility": Visibility.PUBLIC}), output_field=BooleanField()
    )


# Plain visible querysets -----------------------------------------------------------------


def partners_visible_to(user) -> QuerySet[Partner]:
    """Partners this user may see."""
    return Partner.objects.visible_to(user)


def people_visible_to(user) -> QuerySet[Person]:
    """People this user may see, whose partner the user may also see."""
    return Person.objects.visible_to(user).filter(_visible_q(user, "partner__"))


def meetings_visible_to(user) -> QuerySet[Meeting]:
    """Meetings this user may see."""
    return Meeting.objects.visible_to(user)


def commitments_visible_to(user) -> QuerySet[Commitment]:
    """Commitments this user may see."""
    return Commitment.objects.visible_to(user)


def complaintcounts_visible_to(user) -> QuerySet[ComplaintCount]:
    """Complaint counts this user may see."""
    return ComplaintCount.objects.visible_to(user)


def milestones_visible_to(user) -> QuerySet[Milestone]:
    """Milestones this user may see."""
    return Milestone.objects.visible_to(user)


def sources_visible_to(user) -> QuerySet[Source]:
    """Sources this user may see."""
    return Source.objects.visible_to(user)


def topics_in_use() -> QuerySet[Topic]:
    """All topics; topics carry no visibility of their own."""
    return Topic.objects.all()


# Lists (tables) --------------------------------------------------------------------------


def partner_list(*, user) -> QuerySet[Partner]:
    """Partners with counts the user may see: meetings, open commitments, date of last contact.

    The counts are correlated subqueries rather than joins, so they neither multiply
    each other nor grow the row count.
    """
    through = Meeting.partners.through
    visible_links = through.objects.filter(partner=OuterRef("pk")).filter(
        _visible_q(user, "meeting__")
    )
    meeting_count = (
        visible_links.order_by().values("partner").annotate(n=Count("meeting")).values("n")
    )
    last_contact = (
        visible_links.filter(meeting__date__isnull=False)
        .order_by()
        .values("partner")
        .annotate(last=Max("meeting__date"))
        .values("last")
    )
    open_commitments = (
        Commitment.objects.filter(made_by=OuterRef("pk"), status__in=OPEN_COMMITMENT_STATUSES)
        .filter(_visible_q(user))
        .order_by()
        .values("made_by")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        partners_visible_to(user)
        .select_related("parent")
        .annotate(
            meeting_count=Coalesce(Subquery(meeting_count, output_field=IntegerField()), 0),
            open_commitment_count=Coalesce(
                Subquery(open_commitments, output_field=IntegerField()), 0
            ),
            last_contact=Subquery(last_contact, output_field=DateField()),
            parent_shown=_visible_flag(user, "parent__"),
        )
    )


def meeting_list(*, user) -> QuerySet[Meeting]:
    """Meetings the user may see, with their visible partners and topics prefetched."""
    return meetings_visible_to(user).prefetch_related(
        Prefetch("partners", queryset=partners_visible_to(user).order_by("name")),
        "topics",
    )


def commitment_list(*, user) -> QuerySet[Commitment]:
    """Commitments the user may see, with who made them, to whom, and where.

    `made_by_shown` and `meeting_shown` say whether the user may see those records.
    """
    return (
        commitments_visible_to(user)
        .select_related("made_by", "meeting")
        .annotate(
            made_by_shown=_visible_flag(user, "made_by__"),
            meeting_shown=_visible_flag(user, "meeting__"),
        )
        .prefetch_related(
            Prefetch("made_to", queryset=partners_visible_to(user).order_by("name")),
            "topics",
        )
    )


def complaintcount_list(*, user) -> QuerySet[ComplaintCount]:
    """Complaint counts the user may see, with the receiving partner."""
    return (
        complaintcounts_visible_to(user)
        .select_related("received_by")
        .annotate(received_by_shown=_visible_flag(user, "received_by__"))
    )


def milestone_list(*, user) -> QuerySet[Milestone]:
    """Milestones the user may see, with their visible partners and topics prefetched."""
    return milestones_visible_to(user).prefetch_related(
        Prefetch("partners", queryset=partners_visible_to(user).order_by("name")),
        "topics",
    )


# Citations -------------------------------------------------------------------------------


def citations_for(*, user, record) -> list[Citation]:
    """Citations of one record whose source the user may see, quotes marked by `is_quote`.

    A quote by a person the user may not see is kept as a plain citation: the
    passage stays, the attribution goes.
    """
    content_type = ContentType.objects.get_for_model(type(record))
    citations = list(
        Citation.objects.filter(content_type=content_type, object_id=record.pk)
        .filter(_visible_q(user, "source__"))
        .select_related("source", "quoted_person__partner")
        .order_by("source__title", "pk")
    )
    for citation in citations:
        person = citation.quoted_person
        if person is not None and not (
            is_visible(user=user, record=person) and is_visible(user=user, record=person.partner)
        ):
            citation.quoted_person = None
    return citations


def _split_citations(citations: list[Citation]) -> tuple[list[Citation], list[Citation]]:
    quotes = [c for c in citations if c.quoted_person is not None]
    others = [c for c in citations if c.quoted_person is None]
    return quotes, others


# Details ---------------------------------------------------------------------------------


@dataclass
class Detail:
    """One record with what its page shows; related records already filtered for the user."""

    record: object
    citations: list[Citation] = field(default_factory=list)
    quotes: list[Citation] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def __getitem__(self, key):
        return self.extra[key]


def _detail(user, record, **extra) -> Detail:
    citations = citations_for(user=user, record=record)
    quotes, others = _split_citations(citations)
    return Detail(record=record, citations=others, quotes=quotes, extra=extra)


def meeting_get(*, user, slug: str) -> Detail:
    """A meeting with its visible partners, participants, topics, commitments and counts.

    Raises Meeting.DoesNotExist when there is none the user may see.
    """
    meeting = (
        meetings_visible_to(user)
        .prefetch_related(
            Prefetch("partners", queryset=partners_visible_to(user).order_by("name")),
            Prefetch(
                "participants",
                queryset=people_visible_to(user).select_related("partner").order_by("name"),
            ),
            "topics",
            Prefetch(
                "commitments",
                queryset=commitment_list(user=user).order_by(
                    F("date").desc(nulls_last=True), "title"
                ),
            ),
            Prefetch("complaint_counts", queryset=complaintcount_list(user=user)),
        )
        .get(slug=slug)
    )
    return _detail(user, meeting)


def commitment_get(*, user, pk: int) -> Detail:
    """A commitment with its visible partners, meeting and status history.

    History entries whose source the user may not see keep their status and date but
    lose the passage. Raises Commitment.DoesNotExist when there is none the user may see.
    """
    commitment = (
        commitment_list(user=user)
        .select_related("made_by_person")
        .annotate(made_by_person_shown=_visible_flag(user, "made_by_person__"))
        .prefetch_related(
            Prefetch(
                "updates",
                queryset=CommitmentUpdate.objects.select_related("source").annotate(
                    source_shown=_visible_flag(user, "source__")
                ),
            )
        )
        .get(pk=pk)
    )
    return _detail(user, commitment, overdue=commitment.is_overdue())


def complaintcount_get(*, user, pk: int) -> Detail:
    """A complaint count with its receiving partner and the meeting it was reported at.

    Raises ComplaintCount.DoesNotExist when there is none the user may see.
    """
    count = (
        complaintcount_list(user=user)
        .select_related("meeting")
        .annotate(meeting_shown=_visible_flag(user, "meeting__"))
        .get(pk=pk)
    )
    return _detail(user, count)


def milestone_get(*, user, slug: str) -> Detail:
    """A milestone with its visible partners and topics.

    Raises Milestone.DoesNotExist when there is none the user may see.
    """
    return _detail(user, milestone_list(user=user).get(slug=slug))


def partner_commitments(*, user, partner: Partner) -> QuerySet[Commitment]:
    """Commitments the partner made or received, that the user may see."""
    return commitment_list(user=user).involving(partner)


def partner_sources(*, user, partner: Partner, limit: int = 50) -> QuerySet[Source]:
    """Visible sources cited by the partner, its people, or any record it took part in."""
    types = ContentType.objects.get_for_models(
        Partner, Person, Meeting, Commitment, ComplaintCount, Milestone
    )
    related = (
        Q(content_type=types[Partner], object_id=partner.pk)
        | Q(content_type=types[Person], object_id__in=partner.people.values("pk"))
        | Q(content_type=types[Meeting], object_id__in=partner.meetings.values("pk"))
        | Q(
            content_type=types[Commitment],
            object_id__in=Commitment.objects.involving(partner).values("pk"),
        )
        | Q(content_type=types[ComplaintCount], object_id__in=partner.complaint_counts.values("pk"))
        | Q(content_type=types[Milestone], object_id__in=partner.milestones.values("pk"))
    )
    citing = Citation.objects.filter(related, source=OuterRef("pk"))
    return sources_visible_to(user).filter(Exists(citing)).defer("text").order_by("title")[:limit]


def partner_topics(*, user, partner: Partner, limit: int = 30) -> list[Topic]:
    """Topics of the visible meetings, commitments and milestones the partner took part in,
    most frequent first, each with `uses`."""
    meetings = meetings_visible_to(user).filter(partners=partner).values("pk")
    milestones = milestones_visible_to(user).filter(partners=partner).values("pk")
    commitments = partner_commitments(user=user, partner=partner).order_by().values("pk")
    through_m = Meeting.topics.through.objects.filter(
        topic=OuterRef("pk"), meeting__in=meetings
    ).values("topic")
    through_s = Milestone.topics.through.objects.filter(
        topic=OuterRef("pk"), milestone__in=milestones
    ).values("topic")
    through_c = Commitment.topics.through.objects.filter(
        topic=OuterRef("pk"), commitment__in=commitments
    ).values("topic")

    def counted(qs):
        return Coalesce(
            Subquery(qs.annotate(n=Count("*")).values("n"), output_field=IntegerField()), 0
        )

    return list(
        Topic.objects.annotate(uses=counted(through_m) + counted(through_s) + counted(through_c))
        .filter(uses__gt=0)
        .order_by("-uses", "name")[:limit]
    )


def partner_get(*, user, slug: str) -> Detail:
    """A partner's profile: people, parent and units, topics, commitments, sources.

    Raises Partner.DoesNotExist when there is none the user may see. The partner's
    own timeline comes from `timeline_page(..., partner=...)`.
    """
    partner = (
        partner_list(user=user)
        .prefetch_related(
            Prefetch("people", queryset=people_visible_to(user).order_by("name")),
            Prefetch("units", queryset=partners_visible_to(user).order_by("name")),
        )
        .get(slug=slug)
    )
    commitments = list(
        partner_commitments(user=user, partner=partner).order_by(
            F("date").desc(nulls_last=True), "title"
        )[:100]
    )
    today = timezone.localdate()
    for commitment in commitments:
        commitment.overdue = commitment.is_overdue(today)
    return _detail(
        user,
        partner,
        commitments=commitments,
        sources=list(partner_sources(user=user, partner=partner)),
        topics=partner_topics(user=user, partner=partner),
    )


@dataclass
class CitingRecord:
    """A record that cites a source, with the passages it rests on."""

    record: object
    label: str
    kind: str
    passages: list = field(default_factory=list)


def source_get(*, user, pk: int) -> Detail:
    """A source with every visible record that cites it, and the passages each rests on.

    One query per kind of citing record, so the count stays fixed however many cite it.
    Raises Source.DoesNotExist when there is none the user may see.
    """
    source = sources_visible_to(user).get(pk=pk)
    citations = list(
        source.citations.select_related("content_type", "quoted_person").order_by("pk")
    )
    by_type: dict[int, list[Citation]] = defaultdict(list)
    for citation in citations:
        by_type[citation.content_type_id].append(citation)
    records: dict[tuple[int, int], object] = {}
    for type_citations in by_type.values():
        model = type_citations[0].content_type.model_class()
        if model is None:
            continue
        queryset = model.objects.visible_to(user)
        if model is Person:
            queryset = people_visible_to(user).select_related("partner")
        for obj in queryset.filter(pk__in={c.object_id for c in type_citations}):
            records[(type_citations[0].content_type_id, obj.pk)] = obj

    citing: dict[tuple[int, int], CitingRecord] = {}
    shown_citations = []
    for citation in citations:
        key = (citation.content_type_id, citation.object_id)
        record = records.get(key)
        if record is None:
            continue
        if citation.quoted_person is not None and not is_visible(
            user=user, record=citation.quoted_person
        ):
            citation.quoted_person = None
        shown_citations.append(citation)
        entry = citing.setdefault(
            key,
            CitingRecord(
                record=record,
                label=str(record),
                kind=str(record._meta.verbose_name),
            ),
        )
        entry.passages.append(citation)

    updates = list(
        source.commitment_updates.filter(commitment__in=commitments_visible_to(user))
        .select_related("commitment")
        .order_by("pk")
    )
    for update in updates:
        entry = citing.setdefault(
            ("update", update.commitment_id),
            CitingRecord(
                record=update.commitment,
                label=str(update.commitment),
                kind=_("commitment update"),
            ),
        )
        entry.passages.append(update)

    return Detail(
        record=source,
        citations=shown_citations,
        extra={"citing": list(citing.values()), "updates": updates},
    )


# Dashboard and charts --------------------------------------------------------------------


@dataclass
class DashboardFigures:
    """The headline numbers on the dashboard."""

    partners: int
    meetings: int
    open_commitments: int
    overdue_commitments: int
    latest_complaints: ComplaintCount | None


def dashboard_figures(*, user, today: datetime.date | None = None) -> DashboardFigures:
    """Headline figures the user may see, in four aggregate queries."""
    today = today or timezone.localdate()
    commitments = commitments_visible_to(user).aggregate(
        open=Count("pk", filter=Q(status__in=OPEN_COMMITMENT_STATUSES)),
        overdue=Count(
            "pk", filter=Q(target_date__lt=today) & ~Q(status=CommitmentStatus.FULFILLED)
        ),
    )
    latest = complaintcount_list(user=user).order_by("-period_end", "-period_start", "-pk").first()
    return DashboardFigures(
        partners=partners_visible_to(user).count(),
        meetings=meetings_visible_to(user).count(),
        open_commitments=commitments["open"],
        overdue_commitments=commitments["overdue"],
        latest_complaints=latest,
    )


def complaints_per_period(*, user, limit: int = 12) -> list[tuple[str, int, int | None]]:
    """(period label, complaints, complaints found true or None) for the latest periods,
    oldest first, summed over receiving partners in the database."""
    rows = (
        complaintcounts_visible_to(user)
        .order_by()
        .values("period_start", "period_end")
        .annotate(
            total=Sum("count"),
            verified=Sum(
                ExpressionWrapper(
                    F("count") * F("verified_share"),
                    output_field=DecimalField(max_digits=20, decimal_places=3),
                )
            ),
            unknown=Count("pk", filter=Q(verified_share__isnull=True)),
        )
        .order_by("-period_end", "-period_start")[:limit]
    )
    result = []
    for row in reversed(list(rows)):
        verified = None
        if row["unknown"] == 0 and row["verified"] is not None:
            verified = int(Decimal(row["verified"]).quantize(Decimal(1)))
        result.append(
            (format_period(row["period_start"], row["period_end"]), row["total"], verified)
        )
    return result


def commitments_by_status(*, user) -> list[tuple[str, int]]:
    """(status label, number of commitments) for every status, in the order of the choices."""
    counts = dict(
        commitments_visible_to(user)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return [(str(label), counts.get(value, 0)) for value, label in CommitmentStatus.choices]


def meetings_per_partner_year(
    *, user, partners: int = 8, years: int = 6
) -> list[tuple[str, int, int]]:
    """(partner name, year, meetings) for the partners with most visible meetings over the
    latest years that have any; counted in the database, two queries."""
    through = Meeting.partners.through
    links = through.objects.filter(_visible_q(user, "meeting__")).filter(
        _visible_q(user, "partner__"), meeting__date__isnull=False
    )
    top = list(
        links.order_by()
        .values("partner_id", "partner__name", "partner__short_name")
        .annotate(n=Count("pk"))
        .order_by("-n", "partner__name")[:partners]
    )
    if not top:
        return []
    names = {row["partner_id"]: row["partner__short_name"] or row["partner__name"] for row in top}
    grid = list(
        links.filter(partner_id__in=names)
        .annotate(year=ExtractYear("meeting__date"))
        .order_by()
        .values("partner_id", "year")
        .annotate(n=Count("pk"))
    )
    latest_years = sorted({row["year"] for row in grid})[-years:]
    return [
        (names[row["partner_id"]], row["year"], row["n"])
        for row in sorted(grid, key=lambda r: (list(names).index(r["partner_id"]), r["year"]))
        if row["year"] in latest_years
    ]


# Timeline --------------------------------------------------------------------------------


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


def _timeline_union(*, user, filters: TimelineFilters):
    """One UNION query of (kind, pk, date) rows over every kind of timeline entry."""
    kinds = filters.kinds or [value for value, _label in EntryKind.choices]
    partner, topic = filters.partner, filters.topic
    parts = []

    def rows(queryset, kind, date_field):
        return (
            queryset.order_by()
            .annotate(
                entry_kind=Value(kind, output_field=CharField()),
                entry_date=F(date_field),
            )
            .values_list("entry_kind", "pk", "entry_date")
        )

    if EntryKind.MEETING in kinds:
        qs = meetings_visible_to(user).filter(_in_range(filters, "date"))
        if partner:
            qs = qs.filter(
                pk__in=Meeting.partners.through.objects.filter(partner=partner).values("meeting")
            )
        if topic:
            qs = qs.filter(
                pk__in=Meeting.topics.through.objects.filter(topic=topic).values("meeting")
            )
        parts.append(rows(qs, EntryKind.MEETING, "date"))

    commitments = commitments_visible_to(user)
    if partner:
        commitments = commitments.involving(partner)
    if topic:
        commitments = commitments.filter(
            pk__in=Commitment.topics.through.objects.filter(topic=topic).values("commitment")
        )
    if EntryKind.COMMITMENT in kinds:
        parts.append(
            rows(commitments.filter(_in_range(filters, "date")), EntryKind.COMMITMENT, "date")
        )
    if EntryKind.UPDATE in kinds:
        # An 'announced' entry repeats the commitment's own entry; only later steps show.
        updates = (
            CommitmentUpdate.objects.filter(commitment__in=commitments.order_by().values("pk"))
            .exclude(status=CommitmentStatus.ANNOUNCED)
            .filter(_in_range(filters, "date"))
        )
        parts.append(rows(updates, EntryKind.UPDATE, "date"))
    if EntryKind.MILESTONE in kinds:
        qs = milestones_visible_to(user).filter(_in_range(filters, "date"))
        if partner:
            qs = qs.filter(
                pk__in=Milestone.partners.through.objects.filter(partner=partner).values(
                    "milestone"
                )
            )
        if topic:
            qs = qs.filter(
                pk__in=Milestone.topics.through.objects.filter(topic=topic).values("milestone")
            )
        parts.append(rows(qs, EntryKind.MILESTONE, "date"))
    if EntryKind.COMPLAINTS in kinds and not topic:
        # Complaint figures carry no topic of their own: a topic filter leaves them out.
        qs = complaintcounts_visible_to(user).filter(
            _in_range(filters, "period_start", "period_end")
        )
        if partner:
            qs = qs.filter(received_by=partner)
        parts.append(rows(qs, EntryKind.COMPLAINTS, "period_start"))

    if not parts:
        return None
    union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    if filters.oldest_first:
        return union.order_by(F("entry_date").asc(nulls_last=True), "entry_kind", "pk")
    return union.order_by(F("entry_date").desc(nulls_last=True), "entry_kind", "-pk")


def _hydrate(*, user, rows: list[tuple[str, int, datetime.date | None]]) -> list[TimelineEntry]:
    """Turn (kind, pk, date) rows into entries, one query per kind present (plus prefetches)."""
    ids: dict[str, list[int]] = defaultdict(list)
    for kind, pk, _date in rows:
        ids[kind].append(pk)
    loaded: dict[tuple[str, int], TimelineEntry] = {}
    partners_prefetch = Prefetch("partners", queryset=partners_visible_to(user).order_by("name"))

    if ids[EntryKind.MEETING]:
        meetings = meetings_visible_to(user).prefetch_related(partners_prefetch)
        for m in meetings.filter(pk__in=ids[EntryKind.MEETING]):
            loaded[(EntryKind.MEETING, m.pk)] = TimelineEntry(
                EntryKind.MEETING, m.pk, m.date, m.date_precision, m.date_inferred,
                title=m.title, url=m.get_absolute_url(), detail=m.location,
                partners=list(m.partners.all()), record=m,
            )  # fmt: skip
    if ids[EntryKind.COMMITMENT]:
        commitments = (
            commitments_visible_to(user)
            .select_related("made_by")
            .annotate(made_by_shown=_visible_flag(user, "made_by__"))
            .prefetch_related(
                Prefetch("made_to", queryset=partners_visible_to(user).order_by("name"))
            )
        )
        for c in commitments.filter(pk__in=ids[EntryKind.COMMITMENT]):
            partners = ([c.made_by] if c.made_by_shown else []) + list(c.made_to.all())
            loaded[(EntryKind.COMMITMENT, c.pk)] = TimelineEntry(
                EntryKind.COMMITMENT, c.pk, c.date, c.date_precision, c.date_inferred,
                title=c.title, url=c.get_absolute_url(), detail=c.get_status_display(),
                partners=partners, record=c,
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
                partners=[made_by] if is_visible(user=user, record=made_by) else [],
                record=u,
            )  # fmt: skip
    if ids[EntryKind.MILESTONE]:
        milestones = milestones_visible_to(user).prefetch_related(partners_prefetch)
        for m in milestones.filter(pk__in=ids[EntryKind.MILESTONE]):
            loaded[(EntryKind.MILESTONE, m.pk)] = TimelineEntry(
                EntryKind.MILESTONE, m.pk, m.date, m.date_precision, m.date_inferred,
                title=m.title, url=m.get_absolute_url(), detail=m.get_kind_display(),
                partners=list(m.partners.all()), record=m,
            )  # fmt: skip
    if ids[EntryKind.COMPLAINTS]:
        for cc in complaintcount_list(user=user).filter(pk__in=ids[EntryKind.COMPLAINTS]):
            loaded[(EntryKind.COMPLAINTS, cc.pk)] = TimelineEntry(
                EntryKind.COMPLAINTS, cc.pk, cc.period_start, "day", cc.period_inferred,
                end=cc.period_end, url=cc.get_absolute_url(),
                title=_("%(count)s complaints received") % {"count": cc.count},
                partners=[cc.received_by] if cc.received_by_shown else [], record=cc,
            )  # fmt: skip
    return [loaded[(kind, pk)] for kind, pk, _date in rows if (kind, pk) in loaded]


@dataclass
class TimelinePage:
    """A page of timeline entries, newest first unless asked otherwise."""

    entries: list[TimelineEntry]
    number: int
    num_pages: int
    count: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages


def timeline_page(
    *, user, filters: TimelineFilters | None = None, page: int = 1, per_page: int = 50
) -> TimelinePage:
    """One page of the timeline: a count, one UNION query for the page, then one query per
    kind of entry on it. Out-of-range pages give the nearest page."""
    filters = filters or TimelineFilters()
    union = _timeline_union(user=user, filters=filters)
    if union is None:
        return TimelinePage(entries=[], number=1, num_pages=1, count=0)
    count = union.count()
    num_pages = max(1, -(-count // per_page))
    number = min(max(1, page), num_pages)
    offset = (number - 1) * per_page
    rows = list(union[offset : offset + per_page]) if count else []
    return TimelinePage(
        entries=_hydrate(user=user, rows=rows), number=number, num_pages=num_pages, count=count
    )


def timeline_latest(*, user, limit: int = 8, filters: TimelineFilters | None = None):
    """The latest timeline entries, without counting them all."""
    union = _timeline_union(user=user, filters=filters or TimelineFilters())
    if union is None:
        return []
    return _hydrate(user=user, rows=list(union[:limit]))


def timeline_groups(entries: list[TimelineEntry]) -> list[tuple[str, list[tuple[str, list]]]]:
    """Group entries by year, then month, keeping their order. Entries known only to the year
    go under 'Month unknown'; entries without a date under 'Date unknown'."""
    from django.utils import formats

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
