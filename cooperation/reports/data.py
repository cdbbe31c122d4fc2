"""What a report says: the records of a period, or of one partner, for one audience, as plain data.

The data is plain (strings, numbers, lists, dicts) so that it can be hashed: a report keeps the
SHA-256 of the data it was built from, and `data_hash` recomputes it to show whether the stored
records still match. Everything here is read in one language (the caller chooses it) because
the displayed dates are part of the data.

A public report is built from public records only: an internal record never appears, nor does
a public record's link to an internal one (an internal partner of a public meeting, an internal
participant, a citation of an internal source, a commitment update resting on one).
"""

import datetime
import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from cooperation.models import (
    Citation,
    Commitment,
    CommitmentStatus,
    CommitmentUpdate,
    ComplaintCount,
    Meeting,
    Milestone,
    Partner,
    Person,
    Visibility,
)
from cooperation.reports.periods import Period, uncertain_range

# The widest uncertain date (a year) starts at most this many days before a period it touches.
PREFILTER_DAYS = 366

IN, MAYBE, UNDATED = "in", "maybe", "undated"


@dataclass(frozen=True)
class Subject:
    """What one report covers: a period or a partner's whole record, for one audience."""

    period: Period
    audience: str
    partner: Partner | None = None
    whole_record: bool = False

    @property
    def public(self) -> bool:
        return self.audience == Visibility.PUBLIC


class Scope:
    """The records one audience may read."""

    def __init__(self, audience: str):
        self.public = audience == Visibility.PUBLIC

    def filter(self, queryset):
        return queryset.filter(visibility=Visibility.PUBLIC) if self.public else queryset

    def allows(self, record) -> bool:
        return record is not None and (not self.public or record.visibility == Visibility.PUBLIC)


def data_hash(data: dict) -> str:
    """SHA-256 of the data in a canonical form (sorted keys, UTF-8)."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def whole_record_start(*, partner: Partner, audience: str, as_of: datetime.date) -> datetime.date:
    """The earliest known date in a partner's record, or `as_of` when it has none."""
    scope = Scope(audience)
    dates = [
        scope.filter(Meeting.objects.filter(partners=partner)).order_by("date").first(),
        scope.filter(Milestone.objects.filter(partners=partner)).order_by("date").first(),
        scope.filter(Commitment.objects.filter(Q(made_by=partner) | Q(made_to=partner)))
        .order_by("date")
        .first(),
    ]
    known = [record.date for record in dates if record is not None and record.date]
    first_count = (
        scope.filter(ComplaintCount.objects.filter(received_by=partner))
        .order_by("period_start")
        .first()
    )
    if first_count:
        known.append(first_count.period_start)
    return min([*known, as_of])


def _percent(share: Decimal | float | None, approximate: bool = False) -> str:
    if share is None:
        return ""
    text = _("%(percent)s%%") % {"percent": formats.number_format(Decimal(share) * 100, 0)}
    return _("about %(value)s") % {"value": text} if approximate else text


def _count(value: int, approximate: bool = False) -> str:
    text = formats.number_format(value, 0, force_grouping=True)
    return _("about %(value)s") % {"value": text} if approximate else text


def _iso(day: datetime.date | None) -> str:
    return day.isoformat() if day else ""


class Collector:
    """Reads a subject's records once and turns them into the report's plain data."""

    def __init__(self, subject: Subject, today: datetime.date | None = None):
        self.subject = subject
        self.period = subject.period
        self.scope = Scope(subject.audience)
        self.today = today or timezone.localdate()
        # Overdue is judged at the period's end, or today when the period is not over yet.
        self.judged_on = min(self.period.end, self.today)
        self.citations: dict[tuple[int, int], list[Citation]] = defaultdict(list)
        self.source_numbers: dict[int, int] = {}

    # Which records, and where they sit in the period.

    def placement(self, date: datetime.date | None, precision: str) -> str | None:
        span = uncertain_range(date, precision)
        if span is None:
            return UNDATED if self.subject.whole_record else None
        if self.subject.whole_record or self.period.contains(*span):
            return IN
        if self.period.overlaps(*span):
            return MAYBE
        return None

    def _dated(self, queryset):
        if self.subject.whole_record:
            return queryset
        earliest = self.period.start - datetime.timedelta(days=PREFILTER_DAYS)
        return queryset.filter(date__gte=earliest, date__lte=self.period.end)

    def _visible_partners(self):
        return self.scope.filter(Partner.objects.all())

    def meetings(self) -> list[Meeting]:
        queryset = self.scope.filter(Meeting.objects.all())
        if self.subject.partner:
            queryset = queryset.filter(partners=self.subject.partner)
        queryset = self._dated(queryset).prefetch_related(
            Prefetch("partners", queryset=self._visible_partners()),
            Prefetch(
                "participants",
                queryset=self.scope.filter(Person.objects.select_related("partner")),
            ),
            "topics",
        )
        return [m for m in queryset if self.placement(m.date, m.date_precision)]

    def milestones(self) -> list[Milestone]:
        queryset = self.scope.filter(Milestone.objects.all())
        if self.subject.partner:
            queryset = queryset.filter(partners=self.subject.partner)
        queryset = self._dated(queryset).prefetch_related(
            Prefetch("partners", queryset=self._visible_partners())
        )
        return [m for m in queryset if self.placement(m.date, m.date_precision)]

    def commitments(self) -> list[Commitment]:
        """Commitments made in the period, changed in it, or overdue at its end."""
        queryset = self.scope.filter(Commitment.objects.all())
        if self.subject.partner:
            partner = self.subject.partner
            queryset = queryset.filter(Q(made_by=partner) | Q(made_to=partner))
        if not self.subject.whole_record:
            period = self.period
            earliest = period.start - datetime.timedelta(days=PREFILTER_DAYS)
            queryset = queryset.filter(
                Q(date__gte=earliest, date__lte=period.end)
                | Q(updates__date__gte=period.start, updates__date__lte=period.end)
                | (
                    Q(target_date__lt=self.judged_on)
                    & (Q(date__lte=period.end) | Q(date__isnull=True))
                )
            )
        update_queryset = CommitmentUpdate.objects.select_related("source")
        if self.scope.public:
            update_queryset = update_queryset.filter(source__visibility=Visibility.PUBLIC)
        queryset = (
            queryset.distinct()
            .select_related("made_by", "made_by_person", "meeting")
            .prefetch_related(
                Prefetch("made_to", queryset=self._visible_partners()),
                Prefetch("updates", queryset=update_queryset),
            )
        )
        return [c for c in queryset if self.scope.allows(c.made_by)]

    def complaint_counts(self, meeting_ids: set[int]) -> list[ComplaintCount]:
        queryset = self.scope.filter(ComplaintCount.objects.all()).select_related(
            "received_by", "meeting"
        )
        if self.subject.partner:
            queryset = queryset.filter(received_by=self.subject.partner)
        if not self.subject.whole_record:
            period = self.period
            # A count belongs to the period it covers, and to the period it was reported in.
            queryset = queryset.filter(
                Q(period_start__lte=period.end, period_end__gte=period.start)
                | Q(meeting__in=meeting_ids)
            )
        counts = [c for c in queryset if self.scope.allows(c.received_by)]
        return sorted(counts, key=lambda c: (c.period_start, c.period_end, c.pk))

    def undated_counts(self) -> dict[str, int]:
        """How many records of the subject have no known date (period reports cannot place them)."""
        counts = {}
        for key, model in (
            ("meetings", Meeting),
            ("commitments", Commitment),
            ("milestones", Milestone),
        ):
            queryset = self.scope.filter(model.objects.filter(date__isnull=True))
            counts[key] = queryset.count()
        return counts

    # Citations and sources.

    def load_citations(self, records) -> None:
        by_model = defaultdict(set)
        for record in records:
            by_model[type(record)].add(record.pk)
        if not by_model:
            return
        content_types = ContentType.objects.get_for_models(*by_model)
        condition = Q()
        for model, ids in by_model.items():
            condition |= Q(content_type=content_types[model], object_id__in=ids)
        queryset = Citation.objects.filter(condition).select_related(
            "source", "quoted_person__partner", "content_type"
        )
        for citation in queryset.order_by("source__title", "source_id", "pk"):
            if not self.scope.allows(citation.source):
                continue
            if citation.quoted_person_id and not self.scope.allows(citation.quoted_person):
                continue
            self.citations[(citation.content_type.model_class(), citation.object_id)].append(
                citation
            )

    def number_sources(self, extra_sources=()) -> None:
        sources = {c.source_id: c.source for cs in self.citations.values() for c in cs}
        for source in extra_sources:
            sources.setdefault(source.pk, source)
        ordered = sorted(sources.values(), key=lambda s: (s.title.lower(), s.pk))
        self.source_numbers = {source.pk: number for number, source in enumerate(ordered, 1)}
        self.sources = ordered

    def sources_of(self, record) -> list[int]:
        numbers = {
            self.source_numbers[c.source_id] for c in self.citations[(type(record), record.pk)]
        }
        return sorted(numbers)

    # Plain data for each kind of record.

    def partner_names(self, partners) -> list[str]:
        return [p.display_name for p in partners]

    def meeting_data(self, meeting: Meeting) -> dict:
        return {
            "id": meeting.pk,
            "title": meeting.title,
            "date": _iso(meeting.date),
            "date_display": meeting.date_display,
            "placement": self.placement(meeting.date, meeting.date_precision),
            "precision": meeting.date_precision,
            "location": meeting.location,
            "partners": self.partner_names(meeting.partners.all()),
            "participants": [
                {"name": p.name, "role": p.role, "partner": p.partner.display_name}
                for p in meeting.participants.all()
                if self.scope.allows(p.partner)
            ],
            "topics": [t.name for t in meeting.topics.all()],
            "summary": meeting.summary,
            "outcome": meeting.outcome,
            "sources": self.sources_of(meeting),
        }

    def milestone_data(self, milestone: Milestone) -> dict:
        return {
            "id": milestone.pk,
            "title": milestone.title,
            "kind": milestone.get_kind_display(),
            "date": _iso(milestone.date),
            "date_display": milestone.date_display,
            "placement": self.placement(milestone.date, milestone.date_precision),
            "precision": milestone.date_precision,
            "description": milestone.description,
            "partners": self.partner_names(milestone.partners.all()),
            "sources": self.sources_of(milestone),
        }

    def status_at(self, commitment: Commitment, day: datetime.date | None) -> str:
        """The commitment's status on a day, from its dated history; today's without a day."""
        updates = list(commitment.updates.all())
        if day is None or not updates:
            return commitment.status
        dated = [u for u in updates if u.date and u.date <= day]
        return dated[-1].status if dated else CommitmentStatus.ANNOUNCED

    def commitment_data(self, commitment: Commitment) -> dict:
        day = None if self.subject.whole_record else self.judged_on
        status = self.status_at(commitment, day)
        overdue = bool(
            commitment.target_date
            and commitment.target_date < self.judged_on
            and status != CommitmentStatus.FULFILLED
        )
        meeting = commitment.meeting if self.scope.allows(commitment.meeting) else None
        person = commitment.made_by_person if self.scope.allows(commitment.made_by_person) else None
        return {
            "id": commitment.pk,
            "title": commitment.title,
            "kind": commitment.get_kind_display(),
            "date": _iso(commitment.date),
            "date_display": commitment.date_display,
            "placement": self.placement(commitment.date, commitment.date_precision),
            "precision": commitment.date_precision,
            "made_by": commitment.made_by.display_name,
            "made_by_id": commitment.made_by_id,
            "made_by_person": person.name if person else "",
            "made_to": self.partner_names(commitment.made_to.all()),
            "made_to_ids": sorted(p.pk for p in commitment.made_to.all()),
            "meeting": meeting.title if meeting else "",
            "status": str(CommitmentStatus(status).label),
            "status_code": status,
            "target_date": formats.date_format(commitment.target_date, "j M Y")
            if commitment.target_date
            else "",
            "overdue": overdue,
            "history": [
                self.update_data(commitment, u, initial=(i == 0))
                for i, u in enumerate(commitment.updates.all())
            ],
            "sources": self.sources_of(commitment),
        }

    def update_data(
        self, commitment: Commitment, update: CommitmentUpdate, initial: bool = False
    ) -> dict:
        source_number = self.source_numbers.get(update.source_id)
        return {
            "commitment": commitment.title,
            "commitment_id": commitment.pk,
            "date": _iso(update.date),
            "date_display": update.date_display,
            "placement": self.placement(update.date, update.date_precision),
            "status": update.get_status_display(),
            "status_code": update.status,
            "note": update.note,
            "passage": update.passage,
            # The first entry that merely announces the commitment is its making, not a change.
            "initial": initial and update.status == CommitmentStatus.ANNOUNCED,
            "sources": [source_number] if source_number else [],
        }

    def complaint_data(self, count: ComplaintCount) -> dict:
        meeting = count.meeting if self.scope.allows(count.meeting) else None
        return {
            "id": count.pk,
            "received_by": count.received_by.display_name,
            "received_by_id": count.received_by_id,
            "period_start": _iso(count.period_start),
            "period_end": _iso(count.period_end),
            "period_display": count.period_display,
            "period_note": count.period_note,
            "count": count.count,
            "count_display": _count(count.count, count.approximate),
            "approximate": count.approximate,
            "share_approximate": count.verified_share_approximate,
            "share": str(count.verified_share) if count.verified_share is not None else "",
            "share_display": _percent(count.verified_share, count.verified_share_approximate),
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

    def quote_data(self, citation: Citation, record_title: str, date_display: str) -> dict:
        person = citation.quoted_person
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

    def source_data(self, source) -> dict:
        """A source with each passage once, and the records that passage supports."""
        passages: dict[str, dict] = {}

        def add(passage: str, record: str, quote_by: str, order: int) -> None:
            key = " ".join(passage.split())
            entry = passages.setdefault(
                key, {"passage": passage, "records": [], "quote_by": "", "order": order}
            )
            if record and record not in entry["records"]:
                entry["records"].append(record)
            entry["quote_by"] = entry["quote_by"] or quote_by
            entry["order"] = min(entry["order"], order)

        for (model, object_id), citations in self.citations.items():
            for citation in citations:
                if citation.source_id == source.pk:
                    quote_by = citation.quoted_person.name if citation.quoted_person_id else ""
                    label = self.record_labels.get((model, object_id), "")
                    add(citation.passage, label, quote_by, citation.pk)
        for update in self.updates_cited:
            if update.source_id == source.pk:
                label = _("Status update: %(title)s") % {"title": update.commitment.title}
                add(update.passage, label, "", 10**12 + update.pk)
        ordered = sorted(passages.values(), key=lambda p: p["order"])
        return {
            "number": self.source_numbers[source.pk],
            "title": source.title,
            "publisher": source.publisher,
            "published_on": formats.date_format(source.published_on, "j F Y")
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

    # The whole report.

    def collect(self) -> dict:
        meetings = self.meetings()
        milestones = self.milestones()
        commitments = self.commitments()
        counts = self.complaint_counts({m.pk for m in meetings})
        partner = self.subject.partner
        people = []
        if partner:
            people = list(self.scope.filter(partner.people.all()).select_related("partner"))

        cited = [*meetings, *milestones, *commitments, *counts, *people]
        if partner:
            cited.append(partner)
        self.load_citations(cited)
        self.updates_cited = [u for c in commitments for u in c.updates.all()]
        by_pk = {c.pk: c for c in commitments}
        for update in self.updates_cited:
            update.commitment = by_pk[update.commitment_id]
        self.number_sources(extra_sources=[u.source for u in self.updates_cited])
        self.record_labels = {
            (type(record), record.pk): self.record_label(record) for record in cited
        }

        meeting_rows = [self.meeting_data(m) for m in meetings]
        milestone_rows = [self.milestone_data(m) for m in milestones]
        commitment_rows = [self.commitment_data(c) for c in commitments]
        complaint_rows = [self.complaint_data(c) for c in counts]

        quotes = []
        dates = {
            **{(Meeting, m.pk): m.date_display for m in meetings},
            **{(Commitment, c.pk): c.date_display for c in commitments},
            **{(Milestone, m.pk): m.date_display for m in milestones},
        }
        for key, citations in self.citations.items():
            for citation in citations:
                if citation.quoted_person_id:
                    quotes.append(
                        self.quote_data(citation, self.record_labels[key], dates.get(key, ""))
                    )
        quotes.sort(key=lambda q: (q["person"], q["record"], q["passage"]))

        data = {
            "subject": self.subject_data(),
            "meetings": self.chronological(meeting_rows),
            "milestones": self.chronological(milestone_rows),
            "commitments": self.chronological(commitment_rows),
            "complaints": complaint_rows,
            "quotes": quotes,
            "sources": [self.source_data(s) for s in self.sources],
        }
        data["updates"] = sorted(
            (
                u
                for c in commitment_rows
                for u in c["history"]
                if u["placement"] == IN and not u["initial"] and not self.subject.whole_record
            ),
            key=lambda u: (u["date"], u["commitment"]),
        )
        data["timeline"] = self.timeline(data)
        data["headline"] = self.headline(data)
        data["chart_data"] = self.chart_data(data)
        if partner:
            data["profile"] = self.profile_data(partner, people)
        else:
            data["partners"] = self.partner_sections(
                meetings,
                milestones,
                list(zip(commitments, commitment_rows, strict=True)),
                counts,
                quotes,
            )
            data["undated"] = self.undated_counts()
        return data

    def record_label(self, record) -> str:
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
        return _("Partner: %(name)s") % {"name": record.name}

    def chronological(self, rows: list[dict]) -> list[dict]:
        # Dated rows first, in date order; undated ones after, by title.
        return sorted(rows, key=lambda r: (r["date"] == "", r["date"], r["title"]))

    def subject_data(self) -> dict:
        subject = self.subject
        return {
            "audience": subject.audience,
            "period_start": _iso(subject.period.start),
            "period_end": _iso(subject.period.end),
            "period_label": subject.period.label(),
            "whole_record": subject.whole_record,
            "partner": subject.partner.name if subject.partner else "",
            "partner_slug": subject.partner.slug if subject.partner else "",
            "judged_on": formats.date_format(self.judged_on, "j F Y"),
        }

    def timeline(self, data: dict) -> list[dict]:
        entries = []

        def add(rank: int, row: dict, kind: str, title: str, partners: list, **overrides):
            row = {**row, **overrides}
            entries.append(
                {
                    "date": row["date"],
                    "date_display": row["date_display"],
                    "placement": row["placement"],
                    "kind": kind,
                    "title": title,
                    "partners": partners,
                    "sources": row["sources"],
                    "rank": rank,
                }
            )

        for row in data["meetings"]:
            add(0, row, _("Meeting"), row["title"], row["partners"])
        for row in data["commitments"]:
            if row["placement"] is None:
                continue  # listed for a change or for being overdue, not made in the period
            add(1, row, _("Commitment"), row["title"], [row["made_by"]])
            if self.subject.whole_record:
                for update in row["history"]:
                    if not update["initial"]:
                        status = _("Status: %(status)s") % {"status": update["status"]}
                        add(2, update, status, row["title"], [row["made_by"]])
        for update in data["updates"]:
            status = _("Status: %(status)s") % {"status": update["status"]}
            add(2, update, status, update["commitment"], [])
        for row in data["milestones"]:
            add(3, row, row["kind"], row["title"], row["partners"])
        for row in data["complaints"]:
            add(
                4,
                row,
                _("Complaint count"),
                _("%(count)s complaints received") % {"count": row["count_display"]},
                [row["received_by"]],
                date=row["period_start"],
                date_display=row["period_display"],
                placement=IN,
            )
        return sorted(
            entries,
            key=lambda e: (e["placement"] == UNDATED, e["date"], e["rank"], e["title"]),
        )

    def headline(self, data: dict) -> dict:
        made = [c for c in data["commitments"] if c["placement"] == IN]
        counted = data["complaints"]
        total = sum(c["count"] for c in counted)
        with_share = [c for c in counted if c["share"] != ""]
        share = None
        if with_share:
            verified = sum(Decimal(c["share"]) * c["count"] for c in with_share)
            base = sum(c["count"] for c in with_share)
            share = verified / base if base else None
        partners = set()
        for row in data["meetings"] + data["milestones"]:
            partners.update(row["partners"])
        for row in data["commitments"]:
            partners.add(row["made_by"])
            partners.update(row["made_to"])
        partners.update(c["received_by"] for c in counted)
        approximate = any(c["approximate"] for c in counted)
        share_approximate = any(c["share_approximate"] for c in with_share)
        fulfilled = (
            [c for c in data["commitments"] if c["status_code"] == CommitmentStatus.FULFILLED]
            if self.subject.whole_record
            else [u for u in data["updates"] if u["status_code"] == CommitmentStatus.FULFILLED]
        )
        return {
            "meetings": sum(1 for m in data["meetings"] if m["placement"] != MAYBE),
            "milestones": sum(1 for m in data["milestones"] if m["placement"] != MAYBE),
            "commitments_made": len(made),
            "commitments_changed": len(data["updates"]),
            "commitments_fulfilled": len(fulfilled),
            "commitments_overdue": sum(1 for c in data["commitments"] if c["overdue"]),
            "commitments_open": sum(
                1
                for c in data["commitments"]
                if c["status_code"]
                in (
                    CommitmentStatus.ANNOUNCED,
                    CommitmentStatus.IN_PROGRESS,
                    CommitmentStatus.STALLED,
                )
            ),
            "complaints": _count(total, approximate),
            "complaints_total": total,
            "complaint_periods": len(counted),
            "verified_share": _percent(share, share_approximate) if share is not None else "",
            "partners": len(partners),
            "quotes": len(data["quotes"]),
            "sources": len(data["sources"]),
        }

    def chart_data(self, data: dict) -> dict:
        by_status = Counter(c["status_code"] for c in data["commitments"])
        meetings_per_partner_year: dict[str, Counter] = defaultdict(Counter)
        for row in data["meetings"]:
            if row["date"]:
                for name in row["partners"]:
                    meetings_per_partner_year[name][int(row["date"][:4])] += 1
        return {
            "complaints": [
                {
                    "label": row["period_display"],
                    "start": row["period_start"],
                    "end": row["period_end"],
                    "count": row["count"],
                    "verified": row["verified_count"],
                    "partner": row["received_by"],
                }
                for row in data["complaints"]
            ],
            "commitments_by_status": [
                {"status": code, "label": str(label), "count": by_status.get(code, 0)}
                for code, label in CommitmentStatus.choices
            ],
            "meetings_per_partner_year": {
                name: dict(sorted(years.items()))
                for name, years in sorted(meetings_per_partner_year.items())
            },
        }

    def partner_sections(self, meetings, milestones, commitments, counts, quotes) -> list[dict]:
        """One section per partner that took part in the period, with what it did in it."""
        partners: dict[int, Partner] = {}
        sections: dict[int, dict] = {}

        def section(partner: Partner) -> dict:
            partners[partner.pk] = partner
            return sections.setdefault(
                partner.pk,
                {
                    "meetings": [],
                    "milestones": [],
                    "commitments_made": [],
                    "commitments_received": [],
                    "complaints": [],
                    "quotes": [],
                },
            )

        for meeting in meetings:
            for partner in meeting.partners.all():
                section(partner)["meetings"].append(
                    {"title": meeting.title, "date_display": meeting.date_display}
                )
        for milestone in milestones:
            for partner in milestone.partners.all():
                section(partner)["milestones"].append(
                    {"title": milestone.title, "date_display": milestone.date_display}
                )
        for commitment, row in commitments:
            entry = {"title": row["title"], "status": row["status"], "overdue": row["overdue"]}
            section(commitment.made_by)["commitments_made"].append(entry)
            for partner in commitment.made_to.all():
                section(partner)["commitments_received"].append(entry)
        for count in counts:
            section(count.received_by)["complaints"].append(
                {"period": count.period_display, "count": _count(count.count, count.approximate)}
            )
        for quote in quotes:
            if quote["partner_id"] in sections:
                sections[quote["partner_id"]]["quotes"].append(quote)

        parents = {
            p.pk: p
            for p in self._visible_partners().filter(
                pk__in={p.parent_id for p in partners.values() if p.parent_id}
            )
        }
        result = []
        for pk, entry in sections.items():
            partner = partners[pk]
            parent = parents.get(partner.parent_id)
            entry.update(
                {
                    "id": pk,
                    "name": partner.name,
                    "short_name": partner.short_name,
                    "kind": partner.get_kind_display(),
                    "country": partner.country,
                    "parent": parent.name if parent else "",
                }
            )
            result.append(entry)
        return sorted(result, key=lambda e: e["name"].lower())

    def profile_data(self, partner: Partner, people: list[Person]) -> dict:
        parent = partner.parent if self.scope.allows(partner.parent) else None
        units = self.scope.filter(partner.units.all())
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


def report_data_collect(*, subject: Subject, today: datetime.date | None = None) -> dict:
    """The plain data of one report: its records, figures, chart inputs and cited sources."""
    return Collector(subject, today=today).collect()
