"""The one generator of bulk records, for benchmarks and tests alike.

`make bench` fills a throwaway database at national scale divided by a number, the report
benchmark adds copies of the seed's rows, and the tests add ten times the seed's rows to prove
that query counts do not grow with the data. Rows are plainly synthetic ("Bulk meeting 12") and
inserted with `bulk_create` in batches, so they leave no history rows.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from itertools import accumulate, islice
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model

from cooperation import models
from cooperation.cache import data_version_bump
from cooperation.models import DatePrecision, Visibility

BATCH = 5_000
LEVELS = tuple(Visibility.values)  # public, shared with the partners involved, internal
DAYS = tuple(datetime.date(2015, 1, 1) + datetime.timedelta(days=n) for n in range(3653))
# Every day of ten years, and no known date for a fifth of the draws.
TEN_YEARS = (*DAYS, *(None,) * (len(DAYS) // 4))


@dataclass(frozen=True)
class Sizes:
    """How many rows of each kind to add."""

    topics: int = 0
    partners: int = 0
    units: int = 0  # partners that are part of another partner
    people: int = 0
    sources: int = 0
    meetings: int = 0
    commitments: int = 0
    complaint_counts: int = 0
    milestones: int = 0

    def times(self, factor: int) -> Sizes:
        return Sizes(**{name: size * factor for name, size in asdict(self).items()})

    def divided(self, divisor: int) -> Sizes:
        """Each size divided, keeping at least one of every kind there is."""
        return Sizes(
            **{name: max(1, size // divisor) if size else 0 for name, size in asdict(self).items()}
        )


# National scale from the product card.
NATIONAL = Sizes(
    topics=200, partners=1_000, meetings=100_000, commitments=200_000, complaint_counts=1_000_000
)
# What fixtures/seed.json holds.
SEED = Sizes(
    topics=10,
    partners=10,
    units=3,
    people=4,
    sources=2,
    meetings=2,
    commitments=7,
    complaint_counts=1,
    milestones=6,
)


def _insert(rows: Iterable[Model]) -> list[int]:
    """Insert rows of one model in batches; returns the new primary keys in order."""
    rows = iter(rows)
    ids: list[int] = []
    while batch := list(islice(rows, BATCH)):
        ids += [row.pk for row in type(batch[0])._default_manager.bulk_create(batch)]
    return ids


def _named(field: str, noun: str, n: int) -> dict[str, str]:
    """A plainly synthetic name and its slug: "Bulk meeting 12", "bulk-meeting-12"."""
    return {field: f"Bulk {noun} {n}", "slug": f"bulk-{noun}-{n}"}


def _link(relation: Any, pairs: Iterable[tuple[int, int]]) -> None:
    """Insert the rows of a many-to-many relation, (record, related) pairs of primary keys."""
    through, field = relation.through, relation.field
    own, other = f"{field.m2m_field_name()}_id", f"{field.m2m_reverse_field_name()}_id"
    _insert(through(**{own: record, other: related}) for record, related in pairs)


@transaction.atomic
def bulk_create_records(
    *,
    sizes: Sizes,
    partner_ids: Sequence[int] = (),
    dates: Sequence[datetime.date | None] = TEN_YEARS,
    visibilities: Sequence[str] = LEVELS,
    seed: int = 20221101,
) -> None:
    """Add `sizes` rows: meetings with partners, participants, topics and citations (one
    quoting a person), commitments with recipients, topics, a status update and a citation,
    complaint counts and milestones, each cited, and partner units.

    Records link to the new partners (the first ones most often) and to `partner_ids` (one
    listed twice is drawn twice as often), take their dates from `dates` (None: undated), their
    visibility from `visibilities` and an owner among the partners (the busiest most often);
    partners, people and sources are public. Citations and updates need
    sources. Names are numbered from 0, so call it once per database.
    """
    rng = random.Random(seed)
    days = [day for day in dates if day is not None]

    def dated() -> dict[str, Any]:
        day = rng.choice(dates)
        return {"date": day, "date_precision": DatePrecision.DAY if day else DatePrecision.UNKNOWN}

    def pick(pool: Sequence[int], most: int) -> set[int]:
        return set(rng.choices(pool, k=most)) if pool else set()

    new_partners = _insert(
        models.Partner(
            **_named("name", "partner", n),
            kind=rng.choice(models.PartnerKind.values),
            country=rng.choice(["KH", "FR", "TH", "VN", ""]),
        )
        for n in range(sizes.partners)
    )
    parents = new_partners or partner_ids
    units = _insert(
        models.Partner(
            **_named("name", "unit", n),
            kind=models.PartnerKind.AGENCY,
            parent_id=rng.choice(parents),
        )
        for n in range(sizes.units)
    )
    partners = [*partner_ids, *new_partners, *units]
    # A few partners take part in most of the cooperation: the n-th new one is drawn 1/n as
    # often as the first, so that some partner pages are busy.
    ranks = range(1, len(new_partners) + len(units) + 1)
    weights = list(accumulate([1.0] * len(partner_ids) + [1 / rank for rank in ranks]))

    def partner() -> int:
        return rng.choices(partners, cum_weights=weights)[0]

    def partners_of(most: int) -> set[int]:
        return set(rng.choices(partners, cum_weights=weights, k=most))

    people = _insert(
        models.Person(**_named("name", "person", n), partner_id=partner(), role="Spokesperson")
        for n in range(sizes.people)
    )
    passages = [f"Bulk source {n}" for n in range(sizes.sources)]
    source_ids = _insert(
        models.Source(
            title=passage,
            reference=f"bulk-source-{n}.txt",
            text=f"{passage}. The ministry met its partners and agreed.",
        )
        for n, passage in enumerate(passages)
    )
    sources = list(zip(source_ids, passages, strict=True))

    def quotes(k: int) -> list[tuple[int, str]]:
        """k (source, passage) pairs; none when there are no sources to quote."""
        return rng.choices(sources, k=k) if sources else []

    _insert(models.Topic(**_named("name", "topic", n)) for n in range(sizes.topics))
    topics = list(models.Topic.objects.values_list("pk", flat=True))

    def cite(model: type[Model], ids: Sequence[int], each: int = 1, quoting: bool = False) -> None:
        """Cite each record `each` times; with `quoting`, the first citation quotes a person."""
        content_type = ContentType.objects.get_for_model(model)
        _insert(
            models.Citation(
                source_id=source,
                passage=passage,
                content_type=content_type,
                object_id=record_id,
                quoted_person_id=rng.choice(people) if quoting and people and n == 0 else None,
            )
            for record_id in ids
            for n, (source, passage) in enumerate(quotes(each))
        )

    meetings = _insert(
        models.Meeting(
            **_named("title", "meeting", n),
            **dated(),
            summary="Synthetic meeting.",
            visibility=rng.choice(visibilities),
            owner_id=partner(),
        )
        for n in range(sizes.meetings)
    )
    _link(models.Meeting.partners, ((m, p) for m in meetings for p in partners_of(3)))
    _link(models.Meeting.participants, ((m, p) for m in meetings for p in pick(people, 3)))
    _link(models.Meeting.topics, ((m, t) for m in meetings for t in pick(topics, 2)))
    cite(models.Meeting, meetings, each=3, quoting=True)

    commitments = [
        models.Commitment(
            title=f"Bulk commitment {n}",
            **dated(),
            made_by_id=partner(),
            meeting_id=rng.choice(meetings) if meetings else None,
            status=rng.choice(models.CommitmentStatus.values),
            target_date=rng.choice(days) if n % 3 == 0 else None,
            visibility=rng.choice(visibilities),
            owner_id=partner(),
        )
        for n in range(sizes.commitments)
    ]
    commitment_ids = _insert(commitments)
    _link(models.Commitment.made_to, ((c, p) for c in commitment_ids for p in partners_of(2)))
    _link(models.Commitment.topics, ((c, t) for c in commitment_ids for t in pick(topics, 1)))
    # A commitment's history starts at its own date and status, as the seed's do.
    _insert(
        models.CommitmentUpdate(
            commitment_id=c.pk,
            status=c.status,
            date=c.date,
            date_precision=c.date_precision,
            source_id=source,
            passage=passage,
        )
        for c in commitments
        for source, passage in quotes(1)
    )
    cite(models.Commitment, commitment_ids)

    def complaint_count() -> models.ComplaintCount:
        start = rng.choice(days)
        return models.ComplaintCount(
            received_by_id=partner(),
            period_start=start,
            period_end=start + datetime.timedelta(days=30),
            count=rng.randrange(500),
            verified_share=rng.choice([None, "0.500", "0.950"]),
            visibility=rng.choice(visibilities),
            owner_id=partner(),
        )

    cite(models.ComplaintCount, _insert(complaint_count() for _ in range(sizes.complaint_counts)))
    milestones = _insert(
        models.Milestone(
            **_named("title", "milestone", n),
            **dated(),
            kind=rng.choice(models.MilestoneKind.values),
            visibility=rng.choice(visibilities),
            owner_id=partner(),
        )
        for n in range(sizes.milestones)
    )
    _link(models.Milestone.partners, ((m, p) for m in milestones for p in partners_of(2)))
    _link(models.Milestone.topics, ((m, t) for m in milestones for t in pick(topics, 2)))
    cite(models.Milestone, milestones)
    cite(models.Partner, new_partners[:5])
    # bulk_create sends no signals: say that the records changed, as every write does.
    transaction.on_commit(data_version_bump)
