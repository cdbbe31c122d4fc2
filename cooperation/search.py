"""One search across partners, people, meetings, commitments, milestones and sources.

On PostgreSQL: full-text search, ranked (`websearch_to_tsquery`, so any text the user
types is a valid query). Elsewhere (SQLite): every word must appear somewhere, ordered
by the record's own ordering. Each kind is searched through the visibility policy (`visible_to`).
"""

from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from cooperation import selectors
from cooperation.models import Commitment, Meeting, Milestone, Partner, Person, Source

SEARCH_CONFIG = "english"


@dataclass
class SearchGroup:
    """The results of one kind of record."""

    key: str
    label: str
    results: list
    more: bool


# (key, label, model, weighted fields): fields weighted A (names, titles) to C (long text).
SEARCHED = [
    ("partners", _("Partners"), Partner,
     {"A": ["name", "short_name"], "C": ["description"]}),
    ("people", _("People"), Person, {"A": ["name"], "B": ["role"]}),
    ("meetings", _("Meetings"), Meeting,
     {"A": ["title"], "B": ["location"], "C": ["summary", "outcome"]}),
    ("commitments", _("Commitments"), Commitment,
     {"A": ["title"], "C": ["description"]}),
    ("milestones", _("Milestones"), Milestone,
     {"A": ["title"], "C": ["description"]}),
    ("sources", _("Sources"), Source,
     {"A": ["title"], "B": ["publisher"], "D": ["text"]}),
]  # fmt: skip


def searched_fields(weighted: dict[str, list[str]]) -> list[str]:
    """The fields of one kind's search document, in order: migration 0005 indexes this
    exact expression (a test keeps the two the same)."""
    return [name for names in weighted.values() for name in names]


def fields_of(key: str) -> list[str]:
    """The fields searched for one kind of record, by its key in SEARCHED."""
    return next(searched_fields(weighted) for k, _label, _v, weighted in SEARCHED if k == key)


def _full_text(queryset: QuerySet, weighted: dict[str, list[str]], query: str) -> QuerySet:
    fields = searched_fields(weighted)
    weighted_vector = None
    for weight, names in weighted.items():
        part = SearchVector(*names, weight=weight, config=SEARCH_CONFIG)
        weighted_vector = part if weighted_vector is None else weighted_vector + part
    search_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
    # Match on the plain document (the expression migration 0005 indexes with GIN),
    # then rank only the matches by the weighted one.
    return (
        queryset.annotate(document=SearchVector(*fields, config=SEARCH_CONFIG))
        .filter(document=search_query)
        .annotate(rank=SearchRank(weighted_vector, search_query))
        .order_by("-rank", "pk")
    )


def _simple(queryset: QuerySet, weighted: dict[str, list[str]], query: str) -> QuerySet:
    return queryset.filter(selectors.words_q(query, *searched_fields(weighted)))


def search(*, user, query: str, per_group: int = 10) -> list[SearchGroup]:
    """Records the user may see that match the query, grouped by kind, best first.

    One query per kind; each group holds at most `per_group` results and says whether
    there were more.
    """
    query = query.strip()
    if not query:
        return []
    match = _full_text if connection.vendor == "postgresql" else _simple
    groups = []
    for key, label, model, weighted in SEARCHED:
        queryset = match(model.objects.visible_to(user), weighted, query)
        if key == "people":
            queryset = queryset.select_related("partner")
        if key == "sources":
            queryset = queryset.defer("text")
        results = list(queryset[: per_group + 1])
        if results:
            groups.append(
                SearchGroup(key, str(label), results[:per_group], len(results) > per_group)
            )
    return groups
