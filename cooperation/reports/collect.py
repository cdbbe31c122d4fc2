"""What a report covers, read from the database: the records of a period, or of one partner,
for one audience, with their citations and sources, as plain rows (`summary.Records`).

A report reads as its audience would (`visibility.audience_viewer`): a public report is built
from what an anonymous visitor may see, so an internal record never appears, nor does a
public record's link to an internal one (an internal partner of a public meeting, an internal
participant, a citation of an internal source, a commitment update resting on one). Everything
here is read in one language (the caller chooses it) because the displayed dates are part of
the data. `summary.py` turns the rows into the report's data.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Prefetch, Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from cooperation import visibility
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
    Source,
    UncertainDate,
    commitment_is_overdue,
)
from cooperation.reports.periods import Period
from cooperation.reports.summary import (
    Records,
    Row,
    commitment_status_on,
    count_format,
    day_iso,
    percent_format,
    placement_find,
    report_data_build,
)

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

    @property
    def viewer(self) -> visibility.AudienceViewer:
        """The reader the report is built for."""
        return visibility.audience_viewer(self.audience, _pk(self.organisation))


def _pk(partner: Partner | None) -> int | None:
    return partner.pk if partner is not None else None


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


class Collector:
    """Reads a subject's records once and turns them into plain rows."""

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

    # Which records, and where they sit in the period.

    def placement(self, record: UncertainDate) -> str | None:
        """Where the record's date sits in the subject's period (`summary.placement_find`)."""
        return placement_find(
            date=record.date,
            precision=record.date_precision,
            period=self.period,
            whole_record=self.subject.whole_record,
        )

    def _dated(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.subject.whole_record:
            return queryset
        earliest = self.period.start - datetime.timedelta(days=PREFILTER_DAYS)
        return queryset.filter(date__gte=earliest, date__lte=self.period.end)

    def _visible_partners(self) -> QuerySet[Partner]:
        return visibility.restrict(Partner.objects.all(), self.viewer)

    def _of_subject(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = visibility.restrict(queryset, self.viewer)
        if self.subject.partner:
            queryset = queryset.filter(partners=self.subject.partner)
        return queryset

    def meetings(self) -> list[Meeting]:
        """The subject's meetings placed in its period, with their visible partners and participants."""
        queryset = self._dated(self._of_subject(Meeting.objects.all())).prefetch_related(
            Prefetch("partners", queryset=self._visible_partners()),
            Prefetch(
                "participants",
                queryset=visibility.restrict(Person.objects.select_related("partner"), self.viewer),
            ),
            "topics",
        )
        return [m for m in queryset if self.placement(m)]

    def milestones(self) -> list[Milestone]:
        """The subject's milestones placed in its period, with their visible partners."""
        queryset = self._dated(self._of_subject(Milestone.objects.all())).prefetch_related(
            Prefetch("partners", queryset=self._visible_partners())
        )
        return [m for m in queryset if self.placement(m)]

    def commitments(self) -> list[Commitment]:
        """Commitments made in the period, changed in it, or overdue at its end."""
        partner = self.subject.partner
        queryset = visibility.restrict(
            Commitment.objects.involving(partner) if partner else Commitment.objects.all(),
            self.viewer,
        )
        if not self.subject.whole_record:
            period = self.period
            earliest = period.start - datetime.timedelta(days=PREFILTER_DAYS)
            # Past its target date at the period's end: whether it was still unfulfilled then
            # depends on its history, which `commitment_data` reads.
            queryset = queryset.filter(
                Q(date__gte=earliest, date__lte=period.end)
                | Q(updates__date__gte=period.start, updates__date__lte=period.end)
                | (
                    Q(target_date__lt=self.judged_on)
                    & (Q(date__lte=period.end) | Q(date__isnull=True))
                )
            )
        updates = CommitmentUpdate.objects.select_related("source").filter(
            visibility.visible_q(self.viewer, Source, "source__")
        )
        queryset = (
            queryset.distinct()
            .select_related("made_by", "made_by_person__partner", "meeting")
            .prefetch_related(
                Prefetch("made_to", queryset=self._visible_partners()),
                Prefetch("updates", queryset=updates),
            )
        )
        return [c for c in queryset if visibility.is_visible(self.viewer, c.made_by)]

    def complaint_counts(self, meeting_ids: set[int]) -> list[ComplaintCount]:
        """Complaint counts covering the period or reported at one of its meetings, by period."""
        queryset = visibility.restrict(ComplaintCount.objects.all(), self.viewer).select_related(
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
        counts = [c for c in queryset if visibility.is_visible(self.viewer, c.received_by)]
        return sorted(counts, key=lambda c: (c.period_start, c.period_end, c.pk))

    def undated_counts(self) -> dict[str, int]:
        """How many records of the subject have no known date (period reports cannot place them)."""
        models: tuple[tuple[str, type[Meeting | Commitment | Milestone]], ...] = (
            ("meetings", Meeting),
            ("commitments", Commitment),
            ("milestones", Milestone),
        )
        return {
            key: visibility.restrict(model.objects.filter(date__isnull=True), self.viewer).count()
            for key, model in models
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
            .filter(visibility.visible_q(self.viewer, Source, "source__"))
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
        return [p.display_name for p in partners]

    def meeting_data(self, meeting: Meeting) -> Row:
        """A meeting as a plain row."""
        return {
            "id": meeting.pk,
            "title": meeting.title,
            "date": day_iso(meeting.date),
            "date_display": meeting.date_display,
            "placement": self.placement(meeting),
            "precision": meeting.date_precision,
            "location": meeting.location,
            "partners": self.partner_names(meeting.partners.all()),
            "participants": [
                {"name": p.name, "role": p.role, "partner": p.partner.display_name}
                for p in meeting.participants.all()
            ],
            "topics": [t.name for t in meeting.topics.all()],
            "summary": meeting.summary,
            "outcome": meeting.outcome,
            "sources": self.sources_of(meeting),
        }

    def milestone_data(self, milestone: Milestone) -> Row:
        """A milestone as a plain row."""
        return {
            "id": milestone.pk,
            "title": milestone.title,
            "kind": milestone.get_kind_display(),
            "date": day_iso(milestone.date),
            "date_display": milestone.date_display,
            "placement": self.placement(milestone),
            "precision": milestone.date_precision,
            "description": milestone.description,
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
        meeting = visibility.shown_or_none(self.viewer, commitment.meeting)
        person = visibility.shown_or_none(self.viewer, commitment.made_by_person)
        return {
            "id": commitment.pk,
            "title": commitment.title,
            "kind": commitment.get_kind_display(),
            "date": day_iso(commitment.date),
            "date_display": commitment.date_display,
            "placement": self.placement(commitment),
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
            "commitment": commitment.title,
            "commitment_id": commitment.pk,
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
        """A complaint count as a plain row, with the passages it rests on."""
        meeting = visibility.shown_or_none(self.viewer, count.meeting)
        return {
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
            "judged_on": formats.date_format(self.judged_on, "j F Y"),
        }

    def quotes(self, dates: dict[RecordKey, str]) -> list[Row]:
        """Every citation attributed to a person, as a quote on the record it supports."""
        return [
            self.quote_data(citation, self.record_labels[key], dates.get(key, ""))
            for key, citations in self.citations.items()
            for citation in citations
            if citation.quoted_person is not None
        ]

    def partner_facts(self, partners: dict[int, Partner]) -> dict[int, Row]:
        """What a partner section says of each partner, its parent only when visible."""
        parents = {
            p.pk: p
            for p in self._visible_partners().filter(
                pk__in={p.parent_id for p in partners.values() if p.parent_id}
            )
        }
        facts = {}
        for pk, partner in partners.items():
            parent = parents.get(partner.parent_id) if partner.parent_id else None
            facts[pk] = {
                "name": partner.name,
                "short_name": partner.short_name,
                "kind": partner.get_kind_display(),
                "country": partner.country,
                "parent": parent.name if parent else "",
            }
        return facts

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
        """Read every record of the subject once, as plain rows."""
        meetings = self.meetings()
        milestones = self.milestones()
        commitments = self.commitments()
        counts = self.complaint_counts({m.pk for m in meetings})
        partner = self.subject.partner
        people: list[Person] = []
        if partner:
            people = list(
                visibility.restrict(partner.people.all(), self.viewer).select_related("partner")
            )

        cited: list[Model] = [*meetings, *milestones, *commitments, *counts, *people]
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
            complaints=[self.complaint_data(c) for c in counts],
            quotes=self.quotes(dates),
            sources=[self.source_data(s) for s in self.sources],
        )
        if partner:
            return replace(records, profile=self.profile_data(partner, people))

        involved: dict[int, Partner] = {}

        def ids(partners: Iterable[Partner]) -> list[int]:
            listed = list(partners)
            involved.update((p.pk, p) for p in listed)
            return [p.pk for p in listed]

        meeting_partners = {m.pk: ids(m.partners.all()) for m in meetings}
        milestone_partners = {m.pk: ids(m.partners.all()) for m in milestones}
        commitment_made_to = {c.pk: ids(c.made_to.all()) for c in commitments}
        ids(c.made_by for c in commitments)
        ids(c.received_by for c in counts)
        return replace(
            records,
            meeting_partners=meeting_partners,
            milestone_partners=milestone_partners,
            commitment_made_to=commitment_made_to,
            partners=self.partner_facts(involved),
            undated=self.undated_counts(),
        )


def report_data_collect(*, subject: Subject, today: datetime.date | None = None) -> Row:
    """The plain data of one report: its records, figures, chart inputs and cited sources."""
    return report_data_build(records=Collector(subject, today=today).collect())
