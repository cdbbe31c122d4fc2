"""How long each report kind takes to build, and how many pages it has, on the seed and on
ten times more rows. Everything happens in a transaction that is rolled back: the database is
left as it was. `python manage.py bench_reports` prints the table.
"""

import datetime
import statistics
import time
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from cooperation.models import (
    Citation,
    Commitment,
    CommitmentUpdate,
    ComplaintCount,
    Meeting,
    Milestone,
    Partner,
    Visibility,
)
from cooperation.reports.collect import Subject, report_data_collect, whole_record_start
from cooperation.reports.periods import Period, month_parse
from cooperation.reports.rendering import report_pdf_render
from cooperation.reports.summary import data_hash

DOSSIER_PARTNER = "ministry-of-interior"


@dataclass
class Measure:
    label: str
    scale: int
    records: int
    collect_seconds: float
    render_seconds: float
    pages: int
    size: int


class _Rollback(Exception):
    pass


def _cases(today: datetime.date) -> list[tuple[str, str, Subject]]:
    partner = Partner.objects.filter(slug=DOSSIER_PARTNER).first() or Partner.objects.first()
    cases = [
        (
            "monthly 2022-11, public",
            "monthly",
            Subject(period=month_parse("2022-11"), audience=Visibility.PUBLIC),
        ),
        (
            "period 2022-08-18 – 2022-11-30, internal",
            "period",
            Subject(
                period=Period(datetime.date(2022, 8, 18), datetime.date(2022, 11, 30)),
                audience=Visibility.INTERNAL,
            ),
        ),
    ]
    if partner is not None:
        start = whole_record_start(partner=partner, audience=Visibility.INTERNAL, as_of=today)
        cases.append(
            (
                f"dossier {partner.slug}, whole record, internal",
                "dossier",
                Subject(
                    period=Period(start, today),
                    audience=Visibility.INTERNAL,
                    partner=partner,
                    whole_record=True,
                ),
            )
        )
    return cases


def _record_count() -> int:
    return sum(
        model.objects.count()
        for model in (Meeting, Commitment, CommitmentUpdate, ComplaintCount, Milestone, Citation)
    )


def _measure(label: str, kind: str, subject: Subject, scale: int, repeat: int) -> Measure:
    collect_times, render_times = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        data = report_data_collect(subject=subject)
        collected = time.perf_counter()
        rendered = report_pdf_render(kind=kind, data=data, digest=data_hash(data))
        collect_times.append(collected - started)
        render_times.append(time.perf_counter() - collected)
    return Measure(
        label=label,
        scale=scale,
        records=_record_count(),
        collect_seconds=statistics.median(collect_times),
        render_seconds=statistics.median(render_times),
        pages=rendered.page_count,
        size=len(rendered.content),
    )


def _copy(record, **changes):
    """An unsaved copy of a record's own columns (no primary key), with some changed."""
    model = type(record)
    values = {
        field.attname: getattr(record, field.attname)
        for field in model._meta.concrete_fields
        if not field.primary_key
    }
    return model(**(values | changes))


def multiply_records(copies: int) -> None:
    """Add `copies` copies of every dated record, with its links and citations, so that every
    period and partner holds (copies + 1) times the rows. Bulk inserts: no history rows."""
    content_types = ContentType.objects.get_for_models(
        Meeting, Commitment, ComplaintCount, Milestone
    )
    citations = list(Citation.objects.all())

    def clone_citations(model, old_pk, new_pk):
        ct = content_types[model]
        return [
            Citation(
                source_id=c.source_id,
                passage=c.passage,
                quoted_person_id=c.quoted_person_id,
                content_type=ct,
                object_id=new_pk,
            )
            for c in citations
            if c.content_type_id == ct.pk and c.object_id == old_pk
        ]

    new_citations = []
    meetings = list(Meeting.objects.prefetch_related("partners", "participants", "topics"))
    commitments = list(Commitment.objects.prefetch_related("made_to", "topics", "updates"))
    counts = list(ComplaintCount.objects.all())
    milestones = list(Milestone.objects.prefetch_related("partners", "topics"))
    for copy in range(1, copies + 1):
        meeting_map = {}
        for meeting in meetings:
            clone = _copy(meeting, slug=f"{meeting.slug[:140]}-bench-{copy}")
            clone.title = f"{meeting.title} ({copy})"
            Meeting.objects.bulk_create([clone])
            clone.partners.set(meeting.partners.all())
            clone.participants.set(meeting.participants.all())
            clone.topics.set(meeting.topics.all())
            meeting_map[meeting.pk] = clone.pk
            new_citations += clone_citations(Meeting, meeting.pk, clone.pk)
        for commitment in commitments:
            old_pk = commitment.pk
            made_to, topics = list(commitment.made_to.all()), list(commitment.topics.all())
            updates = list(commitment.updates.all())
            clone = _copy(commitment)
            clone.title = f"{commitment.title} ({copy})"
            clone.meeting_id = meeting_map.get(commitment.meeting_id, commitment.meeting_id)
            Commitment.objects.bulk_create([clone])
            clone.made_to.set(made_to)
            clone.topics.set(topics)
            CommitmentUpdate.objects.bulk_create(
                [_copy(u, commitment_id=clone.pk) for u in updates]
            )
            new_citations += clone_citations(Commitment, old_pk, clone.pk)
        for count in counts:
            old_pk = count.pk
            clone = _copy(count)
            clone.meeting_id = meeting_map.get(count.meeting_id, count.meeting_id)
            ComplaintCount.objects.bulk_create([clone])
            new_citations += clone_citations(ComplaintCount, old_pk, clone.pk)
        for milestone in milestones:
            old_pk = milestone.pk
            partners, topics = list(milestone.partners.all()), list(milestone.topics.all())
            clone = _copy(milestone, slug=f"{milestone.slug[:140]}-bench-{copy}")
            clone.title = f"{milestone.title} ({copy})"
            Milestone.objects.bulk_create([clone])
            clone.partners.set(partners)
            clone.topics.set(topics)
            new_citations += clone_citations(Milestone, old_pk, clone.pk)
    Citation.objects.bulk_create(new_citations)


def reports_bench(*, scales=(1, 10), repeat: int = 1, load_seed: bool = True) -> list[Measure]:
    """Measure every report kind at each scale; the database is rolled back afterwards."""
    today = timezone.localdate()
    results: list[Measure] = []
    try:
        with transaction.atomic():
            if load_seed and not Partner.objects.exists():
                call_command("loaddata", "fixtures/seed.json", verbosity=0)
            current = 1
            for scale in sorted(scales):
                if scale > current:
                    # From `current` times the seed's rows to `scale` times.
                    if current != 1:
                        raise ValueError("Scale up from the seed only (1 → N).")
                    multiply_records(copies=scale - 1)
                    current = scale
                for label, kind, subject in _cases(today):
                    results.append(_measure(label, kind, subject, scale, repeat))
            raise _Rollback
    except _Rollback:
        pass
    return results
