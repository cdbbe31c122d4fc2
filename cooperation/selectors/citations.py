"""Citations a user may see, and the pages built around them: a record's detail, a source.

A citation shows when the user may see its source; a quote keeps its attribution only
when `visibility.quote_attribution` allows it, otherwise it is a plain citation.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from cooperation import small_counts, visibility
from cooperation.models import (
    Citation,
    Commitment,
    CommitmentUpdate,
    ComplaintCount,
    Person,
    Source,
)
from cooperation.visibility import Viewer

QS = TypeVar("QS", bound=QuerySet[Any])

# Where `with_citations` puts each record's citations.
VISIBLE_CITATIONS = "visible_citations"


def _attributed(user: Viewer | None, citations: list[Citation]) -> list[Citation]:
    for citation in citations:
        citation.quoted_person = visibility.quote_attribution(user, citation)
    return citations


def citations_for(*, user: Viewer | None, record: Any) -> list[Citation]:
    """Citations of one record whose source the user may see, quotes marked by `is_quote`."""
    content_type = ContentType.objects.get_for_model(type(record))
    citations = (
        Citation.objects.filter(content_type=content_type, object_id=record.pk)
        .filter(visibility.visible_q(user, Source, "source__"))
        .select_related("source", "quoted_person__partner")
        .order_by("source__title", "pk")
    )
    return _attributed(user, list(citations))


def with_citations(queryset: QS, *, user: Viewer | None) -> QS:
    """Records with their citations whose source the user may see, prefetched into
    `visible_citations` (one query for a whole page of records). A quote's person is loaded
    with them; show it through `visibility.quote_attribution`."""
    citations = (
        Citation.objects.filter(visibility.visible_q(user, Source, "source__"))
        .select_related("source", "quoted_person__partner")
        .order_by("source__title", "pk")
    )
    return queryset.prefetch_related(
        Prefetch("citations", queryset=citations, to_attr=VISIBLE_CITATIONS)
    )


@dataclass
class Detail:
    """One record with what its page shows; related records already filtered for the user."""

    record: Any
    citations: list[Citation] = field(default_factory=list)
    quotes: list[Citation] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.extra[key]


def record_detail(*, user: Viewer | None, record: Any, **extra: Any) -> Detail:
    """A record with its visible citations, the quotes apart from the other passages."""
    citations = citations_for(user=user, record=record)
    return Detail(
        record=record,
        citations=[c for c in citations if c.quoted_person is None],
        quotes=[c for c in citations if c.quoted_person is not None],
        extra=extra,
    )


@dataclass
class CitingRecord:
    """A record that cites a source, with the passages it rests on."""

    record: Any
    label: str
    kind: str
    passages: list[Any] = field(default_factory=list)


def _citing_records(user: Viewer | None, citations: list[Citation]) -> dict[tuple[int, int], Any]:
    """The records the citations belong to that the user may see, one query per kind."""
    by_type: dict[int, list[Citation]] = defaultdict(list)
    for citation in citations:
        by_type[citation.content_type_id].append(citation)
    records: dict[tuple[int, int], Any] = {}
    for content_type_id, type_citations in by_type.items():
        model = type_citations[0].content_type.model_class()
        if model is None:
            continue
        queryset = visibility.restrict(model._default_manager.all(), user)
        if model is Person:
            queryset = queryset.select_related("partner")
        if model is ComplaintCount:  # its label names its count: "fewer than 11" if small
            queryset = small_counts.with_count_hidden(queryset, user)
        for obj in queryset.filter(pk__in={c.object_id for c in type_citations}):
            records[(content_type_id, obj.pk)] = obj
    return records


def source_get(*, user: Viewer | None, pk: int) -> Detail:
    """A source with every visible record that cites it, and the passages each rests on.

    One query per kind of citing record, so the count stays fixed however many cite it.
    Raises Source.DoesNotExist when there is none the user may see.
    """
    source = visibility.restrict(Source.objects.all(), user).get(pk=pk)
    citations = list(
        source.citations.select_related("content_type", "quoted_person__partner").order_by("pk")
    )
    records = _citing_records(user, citations)
    citing: dict[tuple[Any, int], CitingRecord] = {}
    shown_citations = []
    for citation in _attributed(user, citations):
        key = (citation.content_type_id, citation.object_id)
        record = records.get(key)
        if record is None:
            continue
        shown_citations.append(citation)
        entry = citing.setdefault(
            key,
            CitingRecord(record=record, label=str(record), kind=str(record._meta.verbose_name)),
        )
        entry.passages.append(citation)

    updates = list(
        CommitmentUpdate.objects.filter(
            source=source, commitment__in=visibility.restrict(Commitment.objects.all(), user)
        )
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
