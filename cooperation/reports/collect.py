"""What a report covers, read from the database: the records of a period, or of one partner,
for one audience, with their citations and sources, as plain rows (`summary.Records`).

A report reads as its audience would (`visibility.audience_viewer`): a public report is built
from what an anonymous visitor may see, so an internal record never appears, nor does a
public record's link to an internal one (an internal partner of a public meeting, an internal
participant, a citation of an internal source, a commitment update resting on one). Everything
here is read in one language (the caller chooses it) because the displayed dates are part of
the data. `summary.py` turns the rows into the report's data.

A national month holds thousands of records, a busy partner's record a hundred thousand. So
the database counts, sums and groups every record of the subject for the headline figures,
the charts and the partner sections (`Tallies`), and only the rows a report lists, the first
`LISTED_ROWS` of each section in the report's order, are read whole, with their links and
citations. The number of queries does not grow with the data.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Collate, RowNumber, TruncMonth, TruncYear
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from cooperation import small_counts, visibility
from cooperation.dates import format_day, format_period, format_uncertain_date
from cooperation.models import (
    Citation,
    Commitment,
    CommitmentStatus,
    CommitmentUpdate,
    ComplaintCount,
    DatePrecision,
    Meeting,
    Milestone,
    Partner,
    Person,
    Source,
    UncertainDate,
    commitment_is_overdue,
)
from cooperation.numerals import native_digits
from cooperation.reports.periods import Period, month_end
from cooperation.reports.summary import (
    DRAWN_PRECISIONS,
    LANE_MARKS,
    LISTED_PARTNERS,
    LISTED_PER_PARTNER,
    LISTED_ROWS,
    Records,
    Row,
    Tallies,
    commitment_status_on,
    count_format,
    day_iso,
    percent_format,
    placement_find,
    report_data_build,
    step_end,
)
from cooperation.translations import display_name_text, shown_text

# The widest uncertain date (a year) starts at most this many days before a period it touches.
PREFILTER_DAYS = 366

RecordKey = tuple[type[Model], int]


@dataclass(frozen=True)
class Subject:
    """What one report covers: a period or a partner's whole record, for one audience."""

    period: Period
    audience: str
    partner: Partner | None = None
    whole_record: bool = False
    organisation: Partner | None = None  # whose staff read it, for one organisation's view
    brief: bool = False  # a partner brief: since the last meeting (`reports.brief`)

    @property
    def viewer(self) -> visibility.AudienceViewer:
        """The reader the report is built for."""
        return visibility.audience_viewer(self.audience, _pk(self.organisation))


def _pk(partner: Partner | None) -> int | None:
    return partner.pk if partner is not None else None


def first_record_date() -> datetime.date | None:
    """The earliest date any record carries (a meeting, commitment, milestone or complaint
    period), whoever may see it: reports are bounded by it, at the decade."""
    firsts = [
        Meeting.objects.aggregate(first=Min("date"))["first"],
        Commitment.objects.aggregate(first=Min("date"))["first"],
        Milestone.objects.aggregate(first=Min("date"))["first"],
        ComplaintCount.objects.aggregate(first=Min("period_start"))["first"],
    ]
    known = [day for day in firsts if day is not None]
    return min(known) if known else None


def whole_record_start(
    *,
    partner: Partner,
    audience: str,
    as_of: datetime.date,
    organisation: Partner | None = None,
) -> datetime.date:
    """The earliest known date in a partner's record, or `as_of` when it has none."""
    viewer = visibility.audience_viewer(audience, _pk(organisation))

    def first(queryset: QuerySet[Any], field: str) -> datetime.date | None:
        record = visibility.restrict(queryset, viewer).order_by(field).first()
        return getattr(record, field) if record is not None else None

    known = [
        first(Meeting.objects.filter(partners=partner), "date"),
        first(Milestone.objects.filter(partners=partner), "date"),
        first(Commitment.objects.involving(partner), "date"),
        first(ComplaintCount.objects.filter(received_by=partner), "period_start"),
    ]
    return min([*(day for day in known if day), as_of])


def text_order(field: str) -> Any:
    """Order text by code point, as Python sorts it, so that the rows the database picks are
    the ones `summary` would put first."""
    if connection.vendor == "postgresql":
        return Collate(field, "C")
    return F(field)  # SQLite compares text byte by byte already


def _count(condition: Q | None = None) -> Count:
    """Count rows, those matching `condition` when there is one (an empty Q matches all)."""
    return Count("pk", filter=condition) if condition else Count("pk")


def _truncated(field: str, step: str) -> Any:
    """A date, or the first day of its month or year."""
    if step == "month":
        return TruncMonth(field, output_field=DateField())
    if step == "year":
        return TruncYear(field, output_field=DateField())
    return F(field)


def _reach(rows: list[Row], first: int, step: str) -> datetime.date:
    """The latest day the `first` complaint counts of these rows (by start, in steps) may
    start on: the end of the step in which their count reaches `first`, or of the last."""
    reached = 0
    for row in rows:
        reached += row["rows"]
        if reached >= first:
            break
    return step_end(row["start"], step)


def _stamp(value: datetime.datetime | None) -> str:
    return value.isoformat() if value else ""


def _partner_name(row: Row, prefix: str) -> str:
    """A partner's display name (`Partner.display_name`) from a values() row."""
    return row[f"{prefix}short_name"] or row[f"{prefix}name"]


def _shown(record: Model, relation: str) -> Any:
    """The related record, when `visibility.with_shown` marked it as one the audience may see."""
    return getattr(record, relation) if getattr(record, f"{relation}_shown", False) else None


class Collector:
    """Reads a subject's figures and the rows it lists, and turns them into plain rows."""

    def __init__(self, subject: Subject, today: datetime.date | None = None):
        self.subject = subject
        self.period = subject.period
        self.viewer = subject.viewer
        self.today = today or timezone.localdate()
        # Overdue is judged at the period's end, or today when the period is not over yet.
        self.judged_on = min(self.period.end, self.today)
        self.citations: dict[RecordKey, list[Citation]] = defaultdict(list)
        self.source_numbers: dict[int, int] = {}
        self.sources: list[Source] = []
        self.updates_cited: list[CommitmentUpdate] = []
        self.record_labels: dict[RecordKey, str] = {}

    # Where a record sits in the period: `summary.placement_find`, as database conditions.

    def placement(self, record: UncertainDate) -> str | None:
        """Where the record's date sits in the subject's period (`summary.placement_find`)."""
        return placement_find(
            date=record.date,
            precision=record.date_precision,
            period=self.period,
            whole_record=self.subject.whole_record,
        )

    def _precision_q(self, prefix: str) -> tuple[Q, Q, Q]:
        exact = Q(**{f"{prefix}date_precision__in": [DatePrecision.DAY, DatePrecision.APPROXIMATE]})
        month = Q(**{f"{prefix}date_precision": DatePrecision.MONTH})
        year = Q(**{f"{prefix}date_precision": DatePrecision.YEAR})
        return exact, month, year

    def _in_q(self, prefix: str = "") -> Q:
        """Surely in the period: every day the date may stand for is in it (a whole record:
        every dated record)."""
        if self.subject.whole_record:
            return Q(**{f"{prefix}date__isnull": False})
        start, end = self.period.start, self.period.end
        # The last first-day of a month, or of a year, whose month or year ends by `end`.
        last_month = end if end == month_end(end) else end.replace(day=1) - datetime.timedelta(1)
        last_year = end if (end.month, end.day) == (12, 31) else datetime.date(end.year - 1, 12, 31)
        exact, month, year = self._precision_q(prefix)
        date = f"{prefix}date"
        return Q(**{f"{date}__gte": start, f"{date}__lte": end}) & (
            exact
            | (month & Q(**{f"{date}__lte": last_month}))
            | (year & Q(**{f"{date}__lte": last_year}))
        )

    def _placed_q(self, prefix: str = "") -> Q:
        """In the period or perhaps in it (`IN` or `MAYBE`); a whole record places every record."""
        if self.subject.whole_record:
            return Q()
        start, end = self.period.start, self.period.end
        exact, month, year = self._precision_q(prefix)
        date = f"{prefix}date"
        return Q(**{f"{date}__lte": end}) & (
            (exact & Q(**{f"{date}__gte": start}))
            | (month & Q(**{f"{date}__gte": start.replace(day=1)}))
            | (year & Q(**{f"{date}__gte": datetime.date(start.year, 1, 1)}))
        )

    def _counted_q(self, prefix: str = "") -> Q:
        """What the figures count: not `MAYBE` (a whole record counts its undated records)."""
        return Q() if self.subject.whole_record else self._in_q(prefix)

    def _chronological(self, prefix: str = "", title: str = "title") -> list[Any]:
        """`summary.rows_chronological`'s order: dated first by date, then by title."""
        return [F(f"{prefix}date").asc(nulls_last=True), text_order(f"{prefix}{title}"), "pk"]

    # Which records: querysets of the subject's records, none of them read whole.

    def _visible_partners(self) -> QuerySet[Partner]:
        return visibility.restrict(Partner.objects.all(), self.viewer)

    def _source_shown(self, prefix: str = "") -> Q:
        return visibility.visible_q(self.viewer, Source, prefix)

    def _partner_shown(self, prefix: str) -> Q:
        return visibility.visible_q(self.viewer, Partner, prefix)

    def _of_subject(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = visibility.restrict(queryset, self.viewer)
        if self.subject.partner:
            queryset = queryset.filter(partners=self.subject.partner)
        return queryset.order_by()

    def _meetings(self) -> QuerySet[Meeting]:
        """The subject's meetings placed in its period."""
        return self._of_subject(Meeting.objects.all()).filter(self._placed_q())

    def _milestones(self) -> QuerySet[Milestone]:
        """The subject's milestones placed in its period."""
        return self._of_subject(Milestone.objects.all()).filter(self._placed_q())

    def _commitments(self, *, involving: bool = True) -> QuerySet[Commitment]:
        """Commitments made in the period (or the year before it), changed in it, or past
        their target date at its end: whether they were still unfulfilled then depends on
        their history (`_status_on`). A partner's are those it made or received; without
        `involving`, a caller that narrows them to one side spares the database that union."""
        partner = self.subject.partner
        involved = partner and involving
        queryset = visibility.restrict(
            Commitment.objects.involving(partner) if involved else Commitment.objects.all(),
            self.viewer,
        ).filter(self._partner_shown("made_by__"))
        if not self.subject.whole_record:
            period = self.period
            earliest = period.start - datetime.timedelta(days=PREFILTER_DAYS)
            changed = CommitmentUpdate.objects.filter(
                date__gte=period.start, date__lte=period.end
            ).values("commitment_id")
            queryset = queryset.filter(
                Q(date__gte=earliest, date__lte=period.end)
                | Q(pk__in=changed)
                | (
                    Q(target_date__lt=self.judged_on)
                    & (Q(date__lte=period.end) | Q(date__isnull=True))
                )
            )
        return queryset.order_by()

    def _status_on(self, commitment: str = "pk", status: str = "status") -> Any:
        """A commitment's status when judged, as `commitment_data` works it out from its
        visible history (`summary.commitment_status_on`); a whole record takes it as it is."""
        if self.subject.whole_record:
            return F(status)
        history = CommitmentUpdate.objects.filter(commitment=OuterRef(commitment)).filter(
            self._source_shown("source__")
        )
        latest = history.filter(date__lte=self.judged_on).order_by("-date", "-recorded_at", "-pk")
        return Case(
            When(
                Exists(history),
                then=Coalesce(
                    Subquery(latest.values("status")[:1]), Value(CommitmentStatus.ANNOUNCED)
                ),
            ),
            default=F(status),
            output_field=CharField(),
        )

    def _updates(self) -> QuerySet[CommitmentUpdate]:
        """The visible status updates of the subject's commitments, each knowing the first
        update of its commitment (`first_pk`): announcing a commitment is not a change."""
        first = (
            CommitmentUpdate.objects.filter(commitment=OuterRef("commitment"))
            .filter(self._source_shown("source__"))
            .order_by(F("date").asc(nulls_first=True), "recorded_at", "pk")
            .values("pk")[:1]
        )
        return (
            CommitmentUpdate.objects.filter(commitment__in=self._commitments().values("pk"))
            .filter(self._source_shown("source__"))
            .annotate(first_pk=Subquery(first))
            .order_by()
        )

    def _changes_q(self) -> Q:
        """Status changes the report lists: not the announcement that opens a history, and,
        in a period, surely in it."""
        not_initial = ~Q(status=CommitmentStatus.ANNOUNCED, pk=F("first_pk"))
        return not_initial if self.subject.whole_record else not_initial & self._in_q()

    def _complaint_counts(self) -> QuerySet[ComplaintCount]:
        """Complaint counts covering the period or reported at one of its meetings."""
        queryset = visibility.restrict(ComplaintCount.objects.all(), self.viewer).filter(
            self._partner_shown("received_by__")
        )
        if self.subject.partner:
            queryset = queryset.filter(received_by=self.subject.partner)
        if not self.subject.whole_record:
            period = self.period
            # A count belongs to the period it covers, and to the period it was reported in.
            queryset = queryset.filter(
                Q(period_start__lte=period.end, period_end__gte=period.start)
                | Q(meeting__in=self._meetings().values("pk"))
            )
        return queryset.order_by()

    def _people(self) -> QuerySet[Person]:
        assert self.subject.partner is not None
        return visibility.restrict(self.subject.partner.people.all(), self.viewer)

    def _cited_q(self) -> Q:
        """Citations of the subject's records, whichever the report lists."""
        kinds: list[tuple[type[Model], QuerySet[Any]]] = [
            (Meeting, self._meetings()),
            (Milestone, self._milestones()),
            (Commitment, self._commitments()),
            (ComplaintCount, self._complaint_counts()),
        ]
        if self.subject.partner:
            partner = Partner.objects.filter(pk=self.subject.partner.pk)
            kinds += [(Person, self._people()), (Partner, partner)]
        types = ContentType.objects.get_for_models(*(model for model, _records in kinds))
        condition = Q()
        for model, records in kinds:
            cited = Exists(records.filter(pk=OuterRef("object_id")))
            condition |= Q(Q(content_type=types[model]), cited)
        return condition

    # Figures: counts, sums and groups, whatever the number of records.

    def tallies(self) -> Tallies:
        """Everything the figures, the charts and the partner sections count."""
        meetings = self._record_tally(Meeting)
        milestones = self._record_tally(Milestone)
        commitments = self._commitment_tally()
        updates = self._updates().aggregate(
            changes=_count(self._changes_q()),
            fulfilled=_count(self._changes_q() & Q(status=CommitmentStatus.FULFILLED)),
            history=_count(),
            changed=Max("recorded_at"),
        )
        step = self._lane_step(meetings, milestones, commitments)
        return Tallies(
            meetings=meetings,
            milestones=milestones,
            commitments=commitments,
            updates={**updates, "changed": _stamp(updates["changed"])},
            complaint_periods=self._complaint_periods(),
            complaint_partners=self._complaint_partners(step),
            lane_step=step,
            meeting_partners=self._partner_days(Meeting, step),
            milestone_partners=self._partner_days(Milestone, step),
            commitment_makers=self._maker_days(step),
            quotes=self._quote_counts(),
            # A period report says how many records no period can place; a dossier lists them.
            undated={} if self.subject.partner else self._undated(),
            pillars={} if self.subject.partner else self._pillar_tally(),
        )

    def _record_tally(self, model: type[Meeting | Milestone]) -> Row:
        """How many of the subject's meetings (or milestones) are placed in its period, how
        many the figures count, and when the latest one changed."""
        records: QuerySet[Any] = model.objects.all()
        placed = self._of_subject(records).filter(self._placed_q())
        tally = placed.aggregate(
            placed=_count(), counted=_count(self._counted_q()), changed=Max("updated_at")
        )
        return {**tally, "changed": _stamp(tally["changed"])}

    def _undated(self) -> dict[str, int]:
        """How many visible meetings, commitments and milestones have no known date: no
        period can place them (one query for the three)."""
        kinds: dict[str, QuerySet[Any]] = {
            "meetings": Meeting.objects.filter(date__isnull=True),
            "commitments": Commitment.objects.filter(date__isnull=True),
            "milestones": Milestone.objects.filter(date__isnull=True),
        }
        undated = {key: 0 for key in kinds}
        counts = [
            visibility.restrict(records, self.viewer)
            .order_by()
            .annotate(record_kind=Value(key))
            .values("record_kind")
            .annotate(n=_count())
            .values_list("record_kind", "n")
            for key, records in kinds.items()
        ]
        undated.update(counts[0].union(*counts[1:], all=True))
        return undated

    def _pillar_tally(self) -> dict[str, dict[str, int]]:
        """The meetings and milestones the figures count and the commitments made in the
        period, by kind and action-plan pillar ("" for not classified), in one query."""
        kinds: dict[str, QuerySet[Any]] = {
            "meetings": self._meetings().filter(self._counted_q()),
            "commitments": self._commitments().filter(self._in_q()),
            "milestones": self._milestones().filter(self._counted_q()),
        }
        counts = [
            records.annotate(record_kind=Value(key))
            .values("record_kind", "pillar")
            .annotate(n=_count())
            .values_list("record_kind", "pillar", "n")
            for key, records in kinds.items()
        ]
        pillars: dict[str, dict[str, int]] = {key: {} for key in kinds}
        for kind, pillar, n in counts[0].union(*counts[1:], all=True):
            pillars[kind][pillar] = n
        return pillars

    def _commitment_tally(self) -> Row:
        """The subject's commitments by their status when judged, with how many of each
        were placed and made in the period, were past their target date, and (a partner's)
        were made by and to the partner."""
        sums = {
            "placed": _count(self._placed_q()),
            "made": _count(self._in_q()),
            "late": _count(Q(target_date__lt=self.judged_on)),
        }
        partner = self.subject.partner
        if partner:
            received = Commitment.made_to.through.objects.filter(partner=partner)
            sums["by"] = _count(Q(made_by=partner))
            sums["to"] = _count(Q(pk__in=received.values("commitment_id")))
        groups = (
            self._commitments()
            .annotate(status_code=self._status_on())
            .values("status_code")
            .annotate(n=_count(), changed=Max("updated_at"), **sums)
        )
        tally: Row = {key: 0 for key in sums if key != "late"}
        tally["by_status"] = {code: 0 for code in CommitmentStatus.values}
        tally["overdue"] = 0
        changed: list[datetime.datetime] = []
        for group in groups:
            tally["by_status"][group["status_code"]] = group["n"]
            for key in sums:
                if key != "late":
                    tally[key] += group[key]
            if group["status_code"] != CommitmentStatus.FULFILLED:
                tally["overdue"] += group["late"]
            changed.append(group["changed"])
        tally["changed"] = _stamp(max(changed, default=None))
        return tally

    def _complaint_periods(self) -> list[Row]:
        """The subject's complaint counts added up by period, partners together: the
        figures, and the chart of complaints per period. A public report's sums leave out
        the small counts (`small_counts.sum_shown`) and count them in `below`."""
        viewer = self.viewer
        with_share = small_counts.share_known_q(viewer)
        verified = ExpressionWrapper(
            F("count") * F("verified_share"),
            output_field=DecimalField(max_digits=20, decimal_places=3),
        )
        periods = (
            self._complaint_counts()
            .values("period_start", "period_end", "period_inferred")
            .annotate(
                rows=_count(),
                total=Coalesce(small_counts.sum_shown("count", viewer), 0),
                below=small_counts.hidden_rows(viewer),
                verified=small_counts.sum_shown(verified, viewer, filter=with_share),
                base=small_counts.sum_shown("count", viewer, filter=with_share),
                with_share=_count(with_share),
                approximate=_count(Q(approximate=True) & small_counts.shown_q(viewer)),
                share_approximate=_count(with_share & Q(verified_share_approximate=True)),
                first=Min("pk"),
                changed=Max("updated_at"),
            )
        )
        return [
            {
                "start": period["period_start"],
                "end": period["period_end"],
                "label": format_period(
                    period["period_start"], period["period_end"], period["period_inferred"]
                ),
                "rows": period["rows"],
                "count": period["total"],
                "below": period["below"],
                "verified": period["verified"],
                "base": period["base"] or 0,
                "with_share": period["with_share"],
                "approximate": period["approximate"] > 0,
                "share_approximate": period["share_approximate"] > 0,
                "first": period["first"],
                "changed": _stamp(period["changed"]),
            }
            for period in periods
        ]

    def _complaint_partners(self, step: str) -> list[Row]:
        """How many of the subject's complaint counts each partner received, by period (or by
        the first day of the `step` the periods start in, reaching to the latest end)."""
        counts: QuerySet[Any] = self._complaint_counts()
        partner = ("received_by_id", "received_by__name", "received_by__short_name")
        if step == "day":
            rows: Any = counts.values(*partner, start=F("period_start"), end=F("period_end"))
            rows = rows.annotate(rows=_count())
        else:
            rows = counts.values(*partner, start=_truncated("period_start", step))
            rows = rows.annotate(rows=_count(), end=Max("period_end"))
        return [
            {
                "partner_id": row["received_by_id"],
                "partner": _partner_name(row, "received_by__"),
                "start": row["start"],
                "end": row["end"],
                "rows": row["rows"],
            }
            for row in rows
        ]

    def _drawn_q(self, prefix: str = "") -> Q:
        """Entries the lanes chart draws: surely in the period, dated precisely enough."""
        precise = Q(**{f"{prefix}date_precision__in": DRAWN_PRECISIONS})
        return self._in_q(prefix) & precise

    def _lane_step(self, meetings: Row, milestones: Row, commitments: Row) -> str:
        """How finely the database dates the lanes chart's entries: by day when they may
        be few enough to draw one by one, or over a long span by month or year (the chart
        groups them that coarsely anyway), so that the rows stay few."""
        records = meetings["placed"] + milestones["placed"] + commitments["made"]
        span = (self.period.end - self.period.start).days
        if records <= LANE_MARKS or span <= 120:
            return "day"
        return "month" if span <= 3 * 366 else "year"

    def _partner_days(self, model: type[Meeting | Milestone], step: str) -> list[Row]:
        """How many placed meetings (or milestones) each visible partner took part in, by
        date (or the first day of its `step`), and whether the lanes chart draws them."""
        records = self._meetings() if model is Meeting else self._milestones()
        name = model._meta.model_name
        drawn = Case(When(self._drawn_q(f"{name}__"), then=Value(True)), default=Value(False))
        links = (
            model.partners.through.objects.filter(**{f"{name}__in": records.values("pk")})
            .filter(self._partner_shown("partner__"))
            .values(
                "partner_id",
                "partner__name",
                "partner__short_name",
                day=_truncated(f"{name}__date", step),
                drawn=drawn,
            )
            .annotate(n=_count())
            .order_by()
        )
        return [
            {
                "partner_id": link["partner_id"],
                "partner": _partner_name(link, "partner__"),
                "date": link["day"],
                "drawn": link["drawn"],
                "n": link["n"],
            }
            for link in links
        ]

    def _maker_days(self, step: str) -> list[Row]:
        """How many commitments each partner made that the lanes chart draws, by date (or
        the first day of its `step`)."""
        makers = (
            self._commitments()
            .filter(self._drawn_q())
            .annotate(day=_truncated("date", step))
            .values("made_by_id", "made_by__name", "made_by__short_name", "day")
            .annotate(n=_count())
        )
        return [
            {
                "partner_id": maker["made_by_id"],
                "partner": _partner_name(maker, "made_by__"),
                "date": maker["day"],
                "drawn": True,
                "n": maker["n"],
            }
            for maker in makers
        ]

    def _quote_counts(self) -> dict[int, int]:
        """How many quotes the subject's records hold, by the partner of who said them."""
        quotes = (
            Citation.objects.filter(self._cited_q(), quoted_person__isnull=False)
            .filter(self._source_shown("source__"))
            .filter(visibility.visible_q(self.viewer, Person, "quoted_person__"))
            .values("quoted_person__partner_id")
            .annotate(n=_count())
            .order_by()
        )
        return {row["quoted_person__partner_id"]: row["n"] for row in quotes}

    # The rows a report lists, read whole: the first LISTED_ROWS of each section.

    def meetings(self, partner_ids: Iterable[int] = ()) -> list[Meeting]:
        """The first meetings placed in the period, and the latest LISTED_PER_PARTNER of each
        of these partners (for their sections), with their visible partners and participants."""
        people = visibility.restrict(Person.objects.select_related("partner"), self.viewer)
        first = self._meetings().order_by(*self._chronological()).values("pk")[:LISTED_ROWS]
        listed = Q(pk__in=first)
        if partner_ids:
            links = Meeting.partners.through.objects.filter(
                partner_id__in=partner_ids, meeting__in=self._meetings().values("pk")
            )
            newest_first = [
                F("meeting__date").desc(nulls_last=True),
                text_order("meeting__title"),
                F("meeting_id"),
            ]
            latest = self._first_per_partner(links, "partner_id", newest_first)
            listed |= Q(pk__in=latest.values("meeting_id"))
        # Within the period, so that the database finds them by their dates' index.
        queryset = Meeting.objects.filter(self._placed_q(), listed).prefetch_related(
            Prefetch("partners", queryset=self._visible_partners()),
            Prefetch("participants", queryset=people),
            "topics",
        )
        return list(queryset)

    def milestones(self) -> list[Milestone]:
        """The first milestones placed in the period, with their visible partners."""
        queryset = (
            self._milestones()
            .prefetch_related(Prefetch("partners", queryset=self._visible_partners()))
            .order_by(*self._chronological())
        )
        return list(queryset[:LISTED_ROWS])

    def commitments(self) -> list[Commitment]:
        """The first commitments of each section that lists them: placed in the period (the
        timeline), and made in it and overdue at its end, or made by and to the partner."""
        commitments = self._commitments()
        sections = [commitments.filter(self._placed_q())]
        partner = self.subject.partner
        if partner:
            one_side = self._commitments(involving=False)
            sections += [one_side.filter(made_by=partner), one_side.filter(made_to=partner)]
        else:
            overdue = (
                commitments.annotate(status_code=self._status_on())
                .filter(target_date__lt=self.judged_on)
                .exclude(status_code=CommitmentStatus.FULFILLED)
            )
            sections += [commitments.filter(self._in_q()), overdue]
        listed = Q()
        for section in sections:
            first = section.order_by(*self._chronological()).values("pk")[:LISTED_ROWS]
            listed |= Q(pk__in=first)
        updates = CommitmentUpdate.objects.select_related("source").filter(
            self._source_shown("source__")
        )
        queryset = (
            visibility.with_shown(
                Commitment.objects.filter(listed), self.viewer, "meeting", "made_by_person"
            )
            .select_related("made_by", "made_by_person__partner", "meeting")
            .prefetch_related(
                Prefetch("made_to", queryset=self._visible_partners()),
                Prefetch("updates", queryset=updates),
            )
        )
        return list(queryset)

    def status_updates(self) -> list[CommitmentUpdate]:
        """The first status changes of the period (and fulfilments), or of a partner's
        history; `first_pk` tells whether an update opens its commitment's history."""
        updates = self._updates()
        changes = updates.filter(self._changes_q())
        sections = [changes, changes.filter(status=CommitmentStatus.FULFILLED)]
        if self.subject.partner:
            sections.append(updates)
        order = self._chronological(title="commitment__title")
        listed = Q()
        for section in sections:
            listed |= Q(pk__in=section.order_by(*order).values("pk")[:LISTED_ROWS])
        return list(updates.filter(listed).select_related("commitment__made_by", "source"))

    def complaint_counts(
        self, tallies: Tallies, partner_ids: Iterable[int] = ()
    ) -> list[ComplaintCount]:
        """The first complaint counts of the period, by period, and the first
        LISTED_PER_PARTNER received by each of these partners (for their sections).

        The tallies tell how far the first ones reach: reading only the periods that start
        up to there spares the database a walk through every other count."""
        periods = sorted(tallies.complaint_periods, key=lambda g: (g["start"], g["end"]))
        if not periods:
            return []
        by_period = [F("period_start"), F("period_end"), F("pk")]
        counts = self._complaint_counts().filter(period_start__gte=periods[0]["start"])
        first = counts.filter(period_start__lte=_reach(periods, LISTED_ROWS, "day"))
        listed = Q(pk__in=first.order_by(*by_period).values("pk")[:LISTED_ROWS])
        received: dict[int, list[Row]] = defaultdict(list)
        for row in sorted(tallies.complaint_partners, key=lambda r: r["start"]):
            received[row["partner_id"]].append(row)
        reaches = [
            _reach(received[pk], LISTED_PER_PARTNER, tallies.lane_step)
            for pk in partner_ids
            if received[pk]
        ]
        reach = _reach(periods, LISTED_ROWS, "day")
        if reaches:
            of_sections = counts.filter(received_by__in=partner_ids, period_start__lte=max(reaches))
            first_received = self._first_per_partner(of_sections, "received_by_id", by_period)
            listed |= Q(pk__in=first_received.values("pk"))
            reach = max(reach, *reaches)
        # Within the periods they start in, so that the database finds them by index.
        within = Q(period_start__gte=periods[0]["start"], period_start__lte=reach)
        queryset = visibility.with_shown(
            ComplaintCount.objects.filter(within, listed), self.viewer, "meeting"
        )
        queryset = small_counts.with_count_hidden(queryset, self.viewer)
        return list(queryset.select_related("received_by", "meeting"))

    def involved_partners(self, tallies: Tallies) -> list[Partner]:
        """Every partner that took part in the period, with its parent: the partners the
        tallies name, and those that made or received one of its commitments."""
        named = {
            row["partner_id"]
            for rows in (
                tallies.meeting_partners,
                tallies.milestone_partners,
                tallies.complaint_partners,
            )
            for row in rows
        }
        commitments = self._commitments()
        received = Commitment.made_to.through.objects.filter(
            commitment__in=commitments.values("pk")
        )
        involved = (
            Q(pk__in=named)
            | Q(pk__in=commitments.values("made_by_id"))
            | Q(pk__in=received.values("partner_id"))
        )
        queryset = self._visible_partners().filter(involved).select_related("parent")
        return list(queryset.defer("description", "parent__description"))

    def partner_items(self, partner_ids: list[int]) -> dict[str, list[Row]]:
        """The first milestones and commitments made and received of each of these
        partners, each row with how many the partner has in all (`of_partner`); their
        meetings and complaint counts come with the listed ones (`meetings`)."""
        commitments = self._commitments()
        links = Milestone.partners.through.objects.filter(
            partner_id__in=partner_ids, milestone__in=self._milestones().values("pk")
        )
        newest_first = [
            F("milestone__date").desc(nulls_last=True),
            F("milestone__title"),
            F("milestone_id"),
        ]
        fields = ("title", "date", "date_precision", "date_inferred")
        items = {
            "milestones": [
                {
                    "partner_id": row["partner_id"],
                    "of_partner": row["of_partner"],
                    "title": row["milestone__title"],
                    "date_display": format_uncertain_date(
                        row["milestone__date"],
                        row["milestone__date_precision"],
                        row["milestone__date_inferred"],
                    ),
                }
                for row in self._first_per_partner(links, "partner_id", newest_first).values(
                    "partner_id", "of_partner", *(f"milestone__{field}" for field in fields)
                )
            ]
        }
        newest_first = [F("date").desc(nulls_last=True), F("title"), F("pk")]
        made = self._first_per_partner(
            commitments.filter(made_by__in=partner_ids).annotate(status_code=self._status_on()),
            "made_by_id",
            newest_first,
        ).values("made_by_id", "of_partner", "title", "status_code", "target_date")
        items["commitments_made"] = [self._commitment_item(row, row["made_by_id"]) for row in made]
        received = self._first_per_partner(
            Commitment.made_to.through.objects.filter(
                partner_id__in=partner_ids, commitment__in=commitments.values("pk")
            ).annotate(
                status_code=self._status_on("commitment", "commitment__status"),
                title=F("commitment__title"),
                target_date=F("commitment__target_date"),
            ),
            "partner_id",
            [
                F("commitment__date").desc(nulls_last=True),
                F("commitment__title"),
                F("commitment_id"),
            ],
        ).values("partner_id", "of_partner", "title", "status_code", "target_date")
        items["commitments_received"] = [
            self._commitment_item(row, row["partner_id"]) for row in received
        ]
        return items

    def _first_per_partner(self, queryset: QuerySet[Any], partner: str, order: list[Any]) -> Any:
        """The first LISTED_PER_PARTNER rows of each partner in this order, each with how
        many rows its partner has (`of_partner`)."""
        return queryset.annotate(
            rank=Window(RowNumber(), partition_by=[F(partner)], order_by=order),
            of_partner=Window(Count("pk"), partition_by=[F(partner)]),
        ).filter(rank__lte=LISTED_PER_PARTNER)

    def _commitment_item(self, row: Row, partner_id: int) -> Row:
        status = row["status_code"]
        return {
            "partner_id": partner_id,
            "of_partner": row["of_partner"],
            "title": row["title"],
            "status": str(CommitmentStatus(status).label),
            "overdue": commitment_is_overdue(
                target_date=row["target_date"], status=status, on=self.judged_on
            ),
        }

    # Citations and sources.

    def load_citations(self, records: Iterable[Model]) -> None:
        """Read the citations of these records whose source the audience may see; a quote
        keeps its person only where `visibility.quote_attribution` allows."""
        by_model: dict[type[Model], set[int]] = defaultdict(set)
        for record in records:
            by_model[type(record)].add(record.pk)
        if not by_model:
            return
        content_types = ContentType.objects.get_for_models(*by_model)
        condition = Q()
        for model, ids in by_model.items():
            condition |= Q(content_type=content_types[model], object_id__in=ids)
        queryset = (
            Citation.objects.filter(condition)
            .filter(self._source_shown("source__"))
            .select_related("source", "quoted_person__partner", "content_type")
        )
        for citation in queryset.order_by("source__title", "source_id", "pk"):
            citation.quoted_person = visibility.quote_attribution(self.viewer, citation)
            cited_model = citation.content_type.model_class()
            assert cited_model is not None, citation.content_type
            self.citations[(cited_model, citation.object_id)].append(citation)

    def number_sources(self, extra_sources: Iterable[Source] = ()) -> None:
        """Number the cited sources (and these others) by title, as the report refers to them."""
        sources = {c.source_id: c.source for cs in self.citations.values() for c in cs}
        for source in extra_sources:
            sources.setdefault(source.pk, source)
        ordered = sorted(sources.values(), key=lambda s: (s.title.lower(), s.pk))
        self.source_numbers = {source.pk: number for number, source in enumerate(ordered, 1)}
        self.sources = ordered

    def sources_of(self, record: Model) -> list[int]:
        """The numbers of the sources a record cites."""
        numbers = {
            self.source_numbers[c.source_id] for c in self.citations[(type(record), record.pk)]
        }
        return sorted(numbers)

    # Plain rows for each kind of record.

    def partner_names(self, partners: Iterable[Partner]) -> list[str]:
        """The names partners go by in the report."""
        return [display_name_text(p) for p in partners]

    def meeting_data(self, meeting: Meeting) -> Row:
        """A meeting as a plain row."""
        return {
            "id": meeting.pk,
            "title": shown_text(meeting, "title"),
            "date": day_iso(meeting.date),
            "date_display": meeting.date_display,
            "placement": self.placement(meeting),
            "precision": meeting.date_precision,
            "location": meeting.location,
            "partners": self.partner_names(meeting.partners.all()),
            "partner_ids": [p.pk for p in meeting.partners.all()],
            "participants": [
                {"name": p.name, "role": p.role, "partner": display_name_text(p.partner)}
                for p in meeting.participants.all()
            ],
            "topics": [shown_text(t, "name") for t in meeting.topics.all()],
            "summary": shown_text(meeting, "summary"),
            "outcome": shown_text(meeting, "outcome"),
            "sources": self.sources_of(meeting),
        }

    def milestone_data(self, milestone: Milestone) -> Row:
        """A milestone as a plain row."""
        return {
            "id": milestone.pk,
            "title": shown_text(milestone, "title"),
            "kind": milestone.get_kind_display(),
            "date": day_iso(milestone.date),
            "date_display": milestone.date_display,
            "placement": self.placement(milestone),
            "precision": milestone.date_precision,
            "description": shown_text(milestone, "description"),
            "partners": self.partner_names(milestone.partners.all()),
            "sources": self.sources_of(milestone),
        }

    def commitment_data(self, commitment: Commitment) -> Row:
        """A commitment as a plain row: where it stood when judged, and its history."""
        updates = list(commitment.updates.all())
        status = commitment_status_on(
            history=[(u.date, u.status) for u in updates],
            current=commitment.status,
            day=None if self.subject.whole_record else self.judged_on,
        )
        meeting = _shown(commitment, "meeting")
        person = _shown(commitment, "made_by_person")
        return {
            "id": commitment.pk,
            "title": shown_text(commitment, "title"),
            "kind": commitment.get_kind_display(),
            "date": day_iso(commitment.date),
            "date_display": commitment.date_display,
            "placement": self.placement(commitment),
            "precision": commitment.date_precision,
            "made_by": display_name_text(commitment.made_by),
            "made_by_id": commitment.made_by_id,
            "made_by_person": person.name if person else "",
            "made_to": self.partner_names(commitment.made_to.all()),
            "made_to_ids": sorted(p.pk for p in commitment.made_to.all()),
            "meeting": shown_text(meeting, "title") if meeting else "",
            "status": str(CommitmentStatus(status).label),
            "status_code": status,
            "target_date": format_day(commitment.target_date) if commitment.target_date else "",
            "overdue": commitment_is_overdue(
                target_date=commitment.target_date, status=status, on=self.judged_on
            ),
            "history": [
                self.update_data(commitment, u, initial=(i == 0)) for i, u in enumerate(updates)
            ],
            "sources": self.sources_of(commitment),
        }

    def update_data(
        self, commitment: Commitment, update: CommitmentUpdate, initial: bool = False
    ) -> Row:
        """A status update as a plain row of its commitment's history."""
        source_number = self.source_numbers.get(update.source_id)
        return {
            "id": update.pk,
            "commitment": shown_text(commitment, "title"),
            "commitment_id": commitment.pk,
            "made_by": display_name_text(commitment.made_by),
            "date": day_iso(update.date),
            "date_display": update.date_display,
            "placement": self.placement(update),
            "status": update.get_status_display(),
            "status_code": update.status,
            "note": update.note,
            "passage": update.passage,
            # The first entry that merely announces the commitment is its making, not a change.
            "initial": initial and update.status == CommitmentStatus.ANNOUNCED,
            "sources": [source_number] if source_number else [],
        }

    def complaint_data(self, count: ComplaintCount) -> Row:
        """A complaint count as a plain row, with the passages it rests on; a small count in
        a public report as "fewer than 11", its share hidden with it (`small_counts`)."""
        meeting = _shown(count, "meeting")
        row = {
            "id": count.pk,
            "received_by": count.received_by.display_name,
            "received_by_id": count.received_by_id,
            "period_start": day_iso(count.period_start),
            "period_end": day_iso(count.period_end),
            "period_display": count.period_display,
            "period_note": count.period_note,
            "count": count.count,
            "count_display": count_format(count.count, approximate=count.approximate),
            "approximate": count.approximate,
            "share_approximate": count.verified_share_approximate,
            "share": str(count.verified_share) if count.verified_share is not None else "",
            "share_display": percent_format(
                count.verified_share, approximate=count.verified_share_approximate
            ),
            "verified_count": count.verified_count,
            "origin": count.origin,
            "reported_at": meeting.title if meeting else "",
            "reported_on": meeting.date_display if meeting else "",
            "passages": [
                {"passage": c.passage, "source": self.source_numbers[c.source_id]}
                for c in self.citations[(ComplaintCount, count.pk)]
            ],
            "sources": self.sources_of(count),
        }
        if small_counts.is_hidden(count):
            row |= {
                "count": None,
                "count_display": small_counts.fewer_than(),
                "hidden": True,
                "share_approximate": False,
                "share": "",
                "share_display": "",
                "verified_count": None,
            }
        return row

    def quote_data(self, citation: Citation, record_title: str, date_display: str) -> Row:
        """An attributed citation as a quote."""
        person = citation.quoted_person
        assert person is not None, citation
        return {
            "person": person.name,
            "role": person.role,
            "partner": person.partner.display_name,
            "partner_id": person.partner_id,
            "passage": citation.passage,
            "record": record_title,
            "date_display": date_display,
            "source": self.source_numbers[citation.source_id],
        }

    def source_data(self, source: Source) -> Row:
        """A source with each passage once, and the records that passage supports."""
        passages: dict[str, Row] = {}

        def add(passage: str, record: str, quote_by: str, order: int) -> None:
            key = " ".join(passage.split())
            entry = passages.setdefault(
                key, {"passage": passage, "records": [], "quote_by": "", "order": order}
            )
            if record and record not in entry["records"]:
                entry["records"].append(record)
            entry["quote_by"] = entry["quote_by"] or quote_by
            entry["order"] = min(entry["order"], order)

        for key, citations in self.citations.items():
            for citation in citations:
                if citation.source_id == source.pk:
                    person = citation.quoted_person
                    label = self.record_labels.get(key, "")
                    add(citation.passage, label, person.name if person else "", citation.pk)
        for update in self.updates_cited:
            if update.source_id == source.pk:
                label = _("Status update: %(title)s") % {"title": update.commitment.title}
                add(update.passage, label, "", 10**12 + update.pk)
        ordered = sorted(passages.values(), key=lambda p: p["order"])
        return {
            "number": self.source_numbers[source.pk],
            "title": source.title,
            "publisher": source.publisher,
            "published_on": native_digits(formats.date_format(source.published_on, "j F Y"))
            if source.published_on
            else "",
            "reference": source.reference,
            "url": source.url,
            "passages": [
                {
                    "passage": p["passage"],
                    "records": sorted(p["records"]),
                    "quote_by": p["quote_by"],
                }
                for p in ordered
            ],
        }

    def record_label(self, record: Model) -> str:
        """How a source's appendix names a record it supports."""
        if isinstance(record, Meeting):
            return _("Meeting: %(title)s") % {"title": record.title}
        if isinstance(record, Milestone):
            return _("Milestone: %(title)s") % {"title": record.title}
        if isinstance(record, Commitment):
            return _("Commitment: %(title)s") % {"title": record.title}
        if isinstance(record, ComplaintCount):
            return _("Complaint count: %(count)s") % {"count": str(record)}
        if isinstance(record, Person):
            return _("Person: %(name)s") % {"name": record.name}
        assert isinstance(record, Partner), record
        return _("Partner: %(name)s") % {"name": record.name}

    def subject_data(self) -> Row:
        """What the report covers, as its cover states it."""
        subject = self.subject
        return {
            "audience": subject.audience,
            "organisation": subject.organisation.name if subject.organisation else "",
            "period_start": day_iso(subject.period.start),
            "period_end": day_iso(subject.period.end),
            "period_label": subject.period.label(),
            "whole_record": subject.whole_record,
            "partner": subject.partner.name if subject.partner else "",
            "partner_slug": subject.partner.slug if subject.partner else "",
            "judged_on": native_digits(formats.date_format(self.judged_on, "j F Y")),
        }

    def quotes(self, dates: dict[RecordKey, str]) -> list[Row]:
        """Every citation of the listed records attributed to a person, as a quote on the
        record it supports."""
        return [
            self.quote_data(citation, self.record_labels[key], dates.get(key, ""))
            for key, citations in self.citations.items()
            for citation in citations
            if citation.quoted_person is not None
        ]

    def partner_facts(self, partner: Partner) -> Row:
        """What a partner section says of a partner, its parent only when visible."""
        parent = visibility.shown_or_none(self.viewer, partner.parent)
        return {
            "id": partner.pk,
            "name": partner.name,
            "short_name": partner.short_name,
            "display_name": partner.display_name,
            "kind": partner.get_kind_display(),
            "country": partner.country,
            "parent": parent.name if parent else "",
        }

    def profile_data(self, partner: Partner, people: list[Person]) -> Row:
        """A partner dossier's profile: the partner, its visible parent, units and people."""
        parent = visibility.shown_or_none(self.viewer, partner.parent)
        units = visibility.restrict(partner.units.all(), self.viewer)
        return {
            "id": partner.pk,
            "name": partner.name,
            "short_name": partner.short_name,
            "kind": partner.get_kind_display(),
            "country": partner.country,
            "parent": parent.name if parent else "",
            "units": [u.name for u in units],
            "description": partner.description,
            "people": [
                {"name": p.name, "role": p.role, "sources": self.sources_of(p)} for p in people
            ],
            "sources": self.sources_of(partner),
        }

    # The whole report.

    def collect(self) -> Records:
        """Count every record of the subject and read the rows it lists, as plain rows."""
        tallies = self.tallies()
        partner = self.subject.partner
        involved: list[Partner] = []
        if not partner:
            involved = self.involved_partners(tallies)
        sections = sorted(involved, key=lambda p: (p.name.lower(), p.pk))[:LISTED_PARTNERS]
        section_ids = [p.pk for p in sections]
        # Nothing is read of a kind the tallies found none of.
        meetings = self.meetings(section_ids) if tallies.meetings["placed"] else []
        milestones = self.milestones() if tallies.milestones["placed"] else []
        commitments = self.commitments()
        updates = self.status_updates() if tallies.updates["history"] else []
        counts = self.complaint_counts(tallies, section_ids)
        people: list[Person] = []
        if partner:
            people = list(self._people().select_related("partner"))

        cited: list[Model] = [*meetings, *milestones, *commitments, *counts, *people]
        if partner:
            cited.append(partner)
        self.load_citations(cited)
        by_pk = {c.pk: c for c in commitments}
        history = [u for c in commitments for u in c.updates.all()]
        for update in history:
            update.commitment = by_pk[update.commitment_id]
        listed_ids = {u.pk for u in history}
        self.updates_cited = [*history, *(u for u in updates if u.pk not in listed_ids)]
        self.number_sources(extra_sources=[u.source for u in self.updates_cited])
        self.record_labels = {
            (type(record), record.pk): self.record_label(record) for record in cited
        }
        dates: dict[RecordKey, str] = {
            **{(Meeting, m.pk): m.date_display for m in meetings},
            **{(Commitment, c.pk): c.date_display for c in commitments},
            **{(Milestone, m.pk): m.date_display for m in milestones},
        }
        records = Records(
            subject=self.subject_data(),
            meetings=[self.meeting_data(m) for m in meetings],
            milestones=[self.milestone_data(m) for m in milestones],
            commitments=[self.commitment_data(c) for c in commitments],
            updates=[
                self.update_data(u.commitment, u, initial=u.pk == getattr(u, "first_pk", None))
                for u in updates
            ],
            complaints=[self.complaint_data(c) for c in counts],
            quotes=self.quotes(dates),
            sources=[self.source_data(s) for s in self.sources],
            tallies=tallies,
        )
        if partner:
            return replace(records, profile=self.profile_data(partner, people))
        return replace(
            records,
            involved=[p.display_name for p in involved],
            partners=[self.partner_facts(p) for p in sections],
            partner_items=self.partner_items(section_ids),
        )


def report_data_collect(*, subject: Subject, today: datetime.date | None = None) -> Row:
    """The plain data of one report: its figures, chart inputs, listed rows and cited sources."""
    if subject.brief:
        from cooperation.reports.brief import brief_data_collect

        return brief_data_collect(subject=subject, today=today)
    return report_data_build(records=Collector(subject, today=today).collect())
