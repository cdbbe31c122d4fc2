"""One search across partners, people, meetings, commitments, milestones and sources.

A query in Latin (or any non-Khmer) script, on PostgreSQL, is full-text search: matched
against the record's document in every language PostgreSQL can stem (English and French), so
a record written in French is found from the English interface and the other way round, and
ranked in the active language's configuration (English when it has none, as for Khmer).
`websearch_to_tsquery` makes any text the user types a valid query.

A query containing Khmer script is a substring search: Khmer is written without spaces
between words, so no word list can be cut out of a sentence; each word the user typed (split
on spaces, as Khmer separates phrases) must appear inside the record's document, title
matches first, then the record's own order. The same on SQLite, where a query in any script
works that way. Each kind is searched through the visibility policy (`visible_to`).

Every match is on an expression migration 0005 (English) or 0017 (French, Khmer substrings)
indexes; tests/test_search_languages.py keeps them in step and checks the plans.
"""

import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Case, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Concat, Replace
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cooperation.models import Commitment, Meeting, Milestone, Partner, Person, Source


@dataclass
class SearchGroup:
    """The results of one kind of record."""

    key: str
    label: str
    results: list
    more: bool


# What is searched, in one place. (key, label, model, weighted fields): fields weighted
# A (names, titles) to D (long text). A record's text may be in any language, so every
# configuration in FULL_TEXT_CONFIGS matches the same fields; when records gain
# per-language columns (title_fr), pair each configuration with its own here and in a
# migration like 0017.
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

# PostgreSQL's text search configuration for each interface language that has one; the
# first ranks for a language that has none (Khmer).
FULL_TEXT_CONFIGS = {"en": "english", "fr": "french"}

KHMER_SCRIPT = re.compile("[\u1780-\u17ff\u19e0-\u19ff]")
# Khmer text often carries zero-width spaces to mark where a line may break; they are not
# part of any word, so neither documents nor queries keep them.
ZERO_WIDTH_SPACE = "\u200b"
MAX_WORDS = 10


def searched_fields(weighted: dict[str, list[str]]) -> list[str]:
    """The fields of one kind's search document, in order: migrations 0005 and 0017 index
    this exact expression (a test keeps them the same)."""
    return [name for names in weighted.values() for name in names]


# Translations (cooperation.translations) are searched in their own language's document:
# the `_en` columns in English, `_fr` in French, `_km` as Khmer substrings. Migration 0019
# indexes these documents beside the originals'.
TRANSLATION_CODES = {"english": "en", "french": "fr"}
KHMER = "km"


def translation_fields(model, weighted: dict[str, list[str]], code: str) -> list[str]:
    """The translation columns in `code` of the fields one kind searches, in their order."""
    translated = getattr(model, "translated_fields", [])
    return [f"{name}_{code}" for name in searched_fields(weighted) if name in translated]


def fields_of(key: str) -> list[str]:
    """The fields searched for one kind of record, by its key in SEARCHED."""
    return next(searched_fields(weighted) for k, _label, _v, weighted in SEARCHED if k == key)


def configs_for(language: str | None) -> list[str]:
    """The text search configurations a query is matched in, the active language's first."""
    configs = list(FULL_TEXT_CONFIGS.values())
    active = FULL_TEXT_CONFIGS.get((language or "").split("-")[0])
    return [active, *(c for c in configs if c != active)] if active else configs


def is_khmer(query: str) -> bool:
    """Whether the query has any Khmer character, so is searched as substrings."""
    return KHMER_SCRIPT.search(query) is not None


def full_text_document(fields: list[str], config: str) -> SearchVector:
    """The document one configuration matches on: the expression the GIN indexes hold."""
    return SearchVector(*fields, config=config)


def substring_document(fields: list[str]) -> Replace:
    """The fields joined by spaces, zero-width spaces removed: the text a Khmer query's
    words are looked for in. Migration 0017 indexes it, upper-cased as `icontains`
    compares, with pg_trgm's `gin_trgm_ops`, which serves `LIKE '%word%'`.

    pg_trgm keeps only the characters the database's LC_CTYPE calls alphanumeric. Under
    C.UTF-8 (the default here) or any glibc UTF-8 locale these are Khmer's consonants,
    independent vowels, vowel signs and digits; the coeng (U+17D2, written before a
    subscript consonant) and a few signs (U+17C9-U+17D3) are not, and cut a word into
    pieces for the index: "ការជួញដូរមនុស្ស" gives the trigrams of "ការជួញដូរមនុស" and "ស".
    The pieces are still specific enough for the index to find a handful of rows, and the
    LIKE itself keeps the result exact. (A database made with LC_CTYPE "C" would find no
    Khmer trigrams: still right, but by reading the whole index; a test checks the locale.)
    A space between fields keeps a match from running across two of them: a word has none.
    """
    parts = [f for name in fields for f in (name, Value(" "))][:-1]
    joined = Concat(*parts, output_field=TextField()) if len(parts) > 1 else parts[0]
    return Replace(joined, Value(ZERO_WIDTH_SPACE), Value(""), output_field=TextField())


def _contains_every_word(alias: str, words: list[str]) -> Q:
    query = Q()
    for word in words:
        query &= Q(**{f"{alias}__icontains": word})
    return query


def _full_text(
    queryset: QuerySet, weighted: dict[str, list[str]], query: str, language: str | None
) -> QuerySet:
    fields = searched_fields(weighted)
    configs = configs_for(language)
    matches = Q()
    for config in configs:
        documents = {f"document_{config}": fields}
        if translated := translation_fields(queryset.model, weighted, TRANSLATION_CODES[config]):
            documents[f"translated_{config}"] = translated
        search_query = _search_query(query, config)
        for document, document_fields in documents.items():
            queryset = queryset.alias(**{document: full_text_document(document_fields, config)})
            matches |= Q(**{document: search_query})
    rank_config = configs[0]
    rank_code = TRANSLATION_CODES[rank_config]
    translated_names = set(getattr(queryset.model, "translated_fields", []))
    weighted_vector = None
    for weight, names in weighted.items():
        names = [*names, *(f"{n}_{rank_code}" for n in names if n in translated_names)]
        part = SearchVector(*names, weight=weight, config=rank_config)
        weighted_vector = part if weighted_vector is None else weighted_vector + part
    # Match on the plain documents (the expressions the GIN indexes hold), then rank only
    # the matches by the weighted one, in the active language.
    return (
        queryset.filter(matches)
        .annotate(rank=SearchRank(weighted_vector, _search_query(query, rank_config)))
        .order_by("-rank", "pk")
    )


def _search_query(query: str, config: str) -> SearchQuery:
    return SearchQuery(query, search_type="websearch", config=config)


def _substrings(queryset: QuerySet, weighted: dict[str, list[str]], query: str) -> QuerySet:
    words = query.split()[:MAX_WORDS]
    queryset = queryset.alias(
        searched_text=substring_document(searched_fields(weighted)),
        title_text=substring_document(weighted["A"]),
    )
    matches = _contains_every_word("searched_text", words)
    title_matches = _contains_every_word("title_text", words)
    if translated := translation_fields(queryset.model, weighted, KHMER):
        title_translated = translation_fields(queryset.model, {"A": weighted["A"]}, KHMER)
        queryset = queryset.alias(
            translated_text=substring_document(translated),
            translated_title_text=substring_document(title_translated),
        )
        matches |= _contains_every_word("translated_text", words)
        title_matches |= _contains_every_word("translated_title_text", words)
    queryset = queryset.filter(matches)
    title_first = Case(When(title_matches, then=Value(0)), default=Value(1))
    return queryset.order_by(title_first, *queryset.model._meta.ordering, "pk")


def matching(queryset: QuerySet, weighted: dict[str, list[str]], query: str, *, language):
    """The records of one kind (a queryset already restricted to what the user may see)
    that match the query, best first: full text on PostgreSQL unless the query has Khmer
    script, substrings otherwise."""
    if connection.vendor == "postgresql" and not is_khmer(query):
        return _full_text(queryset, weighted, query, language)
    return _substrings(queryset, weighted, query)


def search(
    *, user, query: str, language: str | None = None, per_group: int = 10
) -> list[SearchGroup]:
    """Records the user may see that match the query, grouped by kind, best first.

    `language` (the active one unless given) decides which configuration ranks a full-text
    search. One query per kind; each group holds at most `per_group` results and says
    whether there were more.
    """
    query = query.replace("\x00", "").replace(ZERO_WIDTH_SPACE, "").strip()
    if not query:
        return []
    language = language or get_language()
    groups = []
    for key, label, model, weighted in SEARCHED:
        queryset = matching(model.objects.visible_to(user), weighted, query, language=language)
        if key == "people":
            queryset = queryset.select_related("partner")
        if key == "sources":
            queryset = queryset.defer("text")
        if key == "commitments":
            queryset = queryset.with_follow_up()
        results = list(queryset[: per_group + 1])
        if results:
            groups.append(
                SearchGroup(key, str(label), results[:per_group], len(results) > per_group)
            )
    return groups
