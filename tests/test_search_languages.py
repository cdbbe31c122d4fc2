"""Search in each language: French stems as French and English as English (a record in either
is found from any interface), and Khmer, written without spaces between words, is found as a
substring, through trigram indexes that really hold Khmer; always through the visibility
policy, and hostile input gives a page."""

import datetime
import importlib
import random

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models.functions import Upper
from django.db.models.sql import Query
from django.test import Client
from django.urls import reverse
from django.utils import translation

from cooperation import models, search
from cooperation.models import Visibility
from tests import factories

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full text and trigram indexes are PostgreSQL's"
)

english_indexes = importlib.import_module(
    "cooperation.migrations.0005_complaint_latest_and_search_indexes"
)
language_indexes = importlib.import_module("cooperation.migrations.0017_search_languages")

# "The Ministry of Interior and the International Organization for Migration discussed the
# fight against human trafficking."
MINISTRY_AND_IOM = "ក្រសួងមហាផ្ទៃ និងអង្គការអន្តរជាតិសម្រាប់ចំណាកស្រុក បានពិភាក្សាអំពីការប្រយុទ្ធប្រឆាំងនឹងការជួញដូរមនុស្ស"
HUMAN_TRAFFICKING = "ការជួញដូរមនុស្ស"
MIGRATION = "ចំណាកស្រុក"
COURT = "តុលាការ"  # a word absent from every record below
INDEXED_KINDS = {
    "partners": "partner",
    "people": "person",
    "meetings": "meeting",
    "commitments": "commitment",
    "milestones": "milestone",
}


def found(query, *, key="meetings", user=None, language="en"):
    """The str() of each record of one kind the search returns, in order."""
    groups = search.search(user=user or AnonymousUser(), query=query, language=language)
    return [str(record) for group in groups if group.key == key for record in group.results]


def weighted_of(key):
    return next(weighted for k, _label, _model, weighted in search.SEARCHED if k == key)


def model_of(key):
    return next(model for k, _label, model, _weighted in search.SEARCHED if k == key)


# Khmer: substrings --------------------------------------------------------------------


def test_a_khmer_word_is_found_inside_a_sentence_without_spaces(db):
    factories.MeetingFactory(title="Interior and IOM", summary=MINISTRY_AND_IOM)
    factories.MeetingFactory(title="Unrelated", summary="ក្រសួងយុត្តិធម៌បានប្រជុំ")
    assert found(HUMAN_TRAFFICKING) == ["Interior and IOM"]
    assert found(MIGRATION) == ["Interior and IOM"]
    assert found(COURT) == []


def test_every_khmer_word_typed_must_appear(db):
    factories.MeetingFactory(title="Interior and IOM", summary=MINISTRY_AND_IOM)
    assert found(f"ក្រសួងមហាផ្ទៃ {HUMAN_TRAFFICKING}") == ["Interior and IOM"]
    assert found(f"ក្រសួងមហាផ្ទៃ {COURT}") == []
    # A Latin word beside a Khmer one is matched as a substring too, whatever its case.
    factories.MeetingFactory(title="At the border", location="Poipet", summary=MIGRATION)
    assert found(f"poipet {MIGRATION}") == ["At the border"]


def test_khmer_is_found_in_every_kind_of_record(db):
    embassy = factories.PartnerFactory(name="ស្ថានទូតបារាំង")  # the French embassy
    factories.PersonFactory(name="Sok Chea", role="អ្នកនាំពាក្យក្រសួងមហាផ្ទៃ", partner=embassy)
    # "Strengthen cross-border cooperation to protect victims"
    factories.CommitmentFactory(title="ពង្រឹងកិច្ចសហប្រតិបត្តិការឆ្លងដែនដើម្បីការពារជនរងគ្រោះ")
    factories.MilestoneFactory(title="ច្បាប់ស្តីពីការបង្ក្រាបការជួញដូរមនុស្ស")  # the 2008 law
    factories.SourceFactory(title="Khmer report", text=f"របាយការណ៍ស្តីពី{HUMAN_TRAFFICKING}")
    assert found("បារាំង", key="partners") == ["ស្ថានទូតបារាំង"]
    assert found("អ្នកនាំពាក្យ", key="people") == ["Sok Chea"]
    assert len(found("ជនរងគ្រោះ", key="commitments")) == 1
    assert found(HUMAN_TRAFFICKING, key="milestones") == ["ច្បាប់ស្តីពីការបង្ក្រាបការជួញដូរមនុស្ស"]
    assert found(HUMAN_TRAFFICKING, key="sources") == ["Khmer report"]


def test_khmer_title_matches_come_first_then_the_records_order(db):
    factories.MeetingFactory(
        title="Newer, in the summary", summary=MINISTRY_AND_IOM, date=datetime.date(2024, 5, 1)
    )
    factories.MeetingFactory(title=f"កិច្ចប្រជុំស្តីពី{HUMAN_TRAFFICKING}", summary="…")
    factories.MeetingFactory(
        title="Older, in the summary", summary=MINISTRY_AND_IOM, date=datetime.date(2020, 5, 1)
    )
    assert found(HUMAN_TRAFFICKING) == [
        f"កិច្ចប្រជុំស្តីពី{HUMAN_TRAFFICKING}",
        "Newer, in the summary",
        "Older, in the summary",
    ]


def test_zero_width_spaces_in_khmer_text_do_not_hide_a_word(db):
    factories.MeetingFactory(title="Typed with line breaks", summary="ការជួញដូរ\u200bមនុស្ស")
    assert found(HUMAN_TRAFFICKING) == ["Typed with line breaks"]
    assert found("ការជួញដូរ\u200bមនុស្ស") == ["Typed with line breaks"]


@pytest.mark.parametrize("wildcard", ["%", "_", "\\"])
def test_like_wildcards_in_a_khmer_query_are_literal(db, wildcard):
    factories.MeetingFactory(title="Plain", summary=HUMAN_TRAFFICKING)
    factories.MeetingFactory(title="With the character", summary=f"ការជួញ{wildcard}ដូរមនុស្ស")
    assert found(f"ការជួញ{wildcard}ដូរ") == ["With the character"]
    assert found(f"ការ{wildcard}ដូរ") == []


def test_khmer_search_respects_visibility(viewer_client, db):
    factories.MeetingFactory(title="Closed-door Khmer briefing", summary=MINISTRY_AND_IOM,
                             visibility=Visibility.INTERNAL)  # fmt: skip
    url = reverse("cooperation:search")
    assert found(HUMAN_TRAFFICKING) == []
    anonymous = Client().get(url, {"q": MIGRATION}).content.decode()
    assert "Closed-door Khmer briefing" not in anonymous
    body = viewer_client.get(url, {"q": MIGRATION}).content.decode()
    assert "Closed-door Khmer briefing" in body


def test_the_search_page_in_khmer_finds_a_khmer_phrase(client, db):
    factories.MeetingFactory(title="Interior and IOM", summary=MINISTRY_AND_IOM)
    client.cookies["django_language"] = "km"
    response = client.get(reverse("cooperation:search"), {"q": HUMAN_TRAFFICKING})
    body = response.content.decode()
    assert '<html lang="km"' in body
    assert "Interior and IOM" in body


def test_a_khmer_search_costs_one_query_a_kind(client, seed, django_assert_max_num_queries):
    factories.MeetingFactory(title="Interior and IOM", summary=MINISTRY_AND_IOM)
    with django_assert_max_num_queries(7):  # as tests/test_pages_queries.py allows a search
        response = client.get(reverse("cooperation:search"), {"q": HUMAN_TRAFFICKING})
    assert "Interior and IOM" in response.content.decode()


# French and English: full text ---------------------------------------------------------


@on_postgresql
def test_french_queries_stem_as_french(db):
    factories.CommitmentFactory(title="Un engagement de la France", description="")
    factories.MeetingFactory(title="Réunion sur la plainte", summary="Une plainte reçue.")
    factories.MeetingFactory(title="Travailleurs", summary="Le travailleur social du centre.")
    assert found("engagements", key="commitments", language="fr") == ["Un engagement de la France"]
    assert found("plaintes", language="fr") == ["Réunion sur la plainte"]
    # English stems "sociaux" to itself; only the French document finds "social".
    assert found("sociaux", language="fr") == ["Travailleurs"]


@on_postgresql
def test_a_record_in_either_language_is_found_from_any_interface(db):
    factories.MeetingFactory(title="Talks on trafficking", summary="Nothing else.")
    factories.MeetingFactory(title="Travailleurs", summary="Le travailleur social du centre.")
    for language in ["en", "fr", "km"]:
        assert found("traffick", language=language) == ["Talks on trafficking"], language
        assert found("sociaux", language=language) == ["Travailleurs"], language


@on_postgresql
def test_ranking_is_in_the_active_language(db):
    factories.MeetingFactory(title="Plans", summary="Les plans nationaux.")
    factories.MeetingFactory(title="Plan national", summary="Adopté.")
    # French stems both to "national" and ranks the title match first; English finds
    # "nationaux" only in the summary, and ranks it above the record it matched in French.
    assert found("nationaux", language="fr") == ["Plan national", "Plans"]
    assert found("nationaux", language="en") == ["Plans", "Plan national"]


@on_postgresql
def test_the_active_language_comes_from_the_request(client, db):
    factories.MeetingFactory(title="Plans", summary="Les plans nationaux.")
    factories.MeetingFactory(title="Plan national", summary="Adopté.")
    client.cookies["django_language"] = "fr"
    body = client.get(reverse("cooperation:search"), {"q": "nationaux"}).content.decode()
    assert body.index("Plan national") < body.index("Plans</a>")


def test_configurations_put_the_active_language_first():
    assert search.configs_for("fr") == ["french", "english"]
    assert search.configs_for("en") == ["english", "french"]
    assert search.configs_for("km") == ["english", "french"]
    assert search.configs_for("fr-ca") == ["french", "english"]
    assert search.configs_for(None) == ["english", "french"]


def test_the_active_language_is_the_default(db):
    with translation.override("fr"):
        factories.MeetingFactory(title="Plans", summary="Les plans nationaux.")
        factories.MeetingFactory(title="Plan national", summary="Adopté.")
        groups = search.search(user=AnonymousUser(), query="nationaux")
    titles = [str(m) for g in groups if g.key == "meetings" for m in g.results]
    if connection.vendor == "postgresql":
        assert titles == ["Plan national", "Plans"]
    else:
        assert titles == ["Plans"]


def test_khmer_script_decides_the_substring_search():
    assert search.is_khmer(HUMAN_TRAFFICKING)
    assert search.is_khmer("IOM " + MIGRATION)
    assert search.is_khmer("\u19e0")  # Khmer symbols
    assert not search.is_khmer("trafficking")
    assert not search.is_khmer("réunion 🙂")


# Hostile input -------------------------------------------------------------------------


HOSTILE = [
    "'", '"', "%", "_", "\\", "\x00", f"{HUMAN_TRAFFICKING}\x00", f"ការ%'\"\\_{MIGRATION}",
    "' OR 1=1 --", "!!! & | :* <->", "a" * 500, HUMAN_TRAFFICKING * 40, "\u200b", "ក",
    "ា", "្", "ស្ស", f"«{MIGRATION}»", "plaintes & 'engagements'", "é" * 199,
]  # fmt: skip


@pytest.mark.parametrize("q", HOSTILE)
@pytest.mark.parametrize("language", ["en", "fr", "km"])
def test_hostile_queries_give_a_page(client, db, q, language):
    factories.MeetingFactory(title="Interior and IOM", summary=MINISTRY_AND_IOM)
    client.cookies["django_language"] = language
    assert client.get(reverse("cooperation:search"), {"q": q}).status_code == 200


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_reach_the_search_itself_without_failing(db, q):
    """Past the form (which drops control characters and long queries) too."""
    factories.MeetingFactory(title="Interior and IOM", summary=MINISTRY_AND_IOM)
    for language in ["en", "fr", "km"]:
        search.search(user=AnonymousUser(), query=q, language=language)


# Indexes --------------------------------------------------------------------------------


def compiled(model, expression):
    query = Query(model)
    compiler = query.get_compiler(connection=connection)
    return compiler.compile(expression.resolve_expression(query, allow_joins=False))


def test_migrations_index_the_documents_search_matches_on():
    """An index serves search only while it holds exactly the expression search matches on:
    the English document (0005), the French one and the Khmer substring one (0017)."""
    assert language_indexes.SEARCHED_FIELDS == english_indexes.SEARCHED_FIELDS
    assert set(language_indexes.SEARCHED_FIELDS) == set(INDEXED_KINDS.values())
    assert language_indexes.ZERO_WIDTH_SPACE == search.ZERO_WIDTH_SPACE
    for key, model_name in INDEXED_KINDS.items():
        fields = search.searched_fields(weighted_of(key))
        assert fields == language_indexes.SEARCHED_FIELDS[model_name], key
        model = model_of(key)
        english = english_indexes.search_index(model_name, fields).expressions[0]
        french, substrings = language_indexes.search_indexes(model_name, fields)
        assert compiled(model, english) == compiled(
            model, search.full_text_document(fields, "english")
        )
        assert compiled(model, french.expressions[0]) == compiled(
            model, search.full_text_document(fields, "french")
        )
        (indexed_text,) = substrings.expressions[0].get_source_expressions()
        assert compiled(model, indexed_text) == compiled(
            model, Upper(search.substring_document(fields))
        )
    assert set(search.FULL_TEXT_CONFIGS.values()) == {"english", "french"}


@on_postgresql
def test_the_database_finds_khmer_trigrams():
    """pg_trgm keeps only the characters LC_CTYPE calls alphanumeric; under "C" it would
    keep no Khmer at all and every Khmer search would read the whole index."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW lc_ctype")
        (ctype,) = cursor.fetchone()
        cursor.execute("SELECT show_trgm(%s), show_trgm(%s)", [HUMAN_TRAFFICKING, "្"])
        trigrams, of_coeng = cursor.fetchone()
    assert ctype.lower() not in {"c", "posix"}, ctype
    # Of "ការជួញដូរមនុស" and "ស" (the coeng cuts the word): 14 + 2.
    assert len(trigrams) == 16, trigrams
    assert of_coeng == []


def plan(queryset, *, analyze=False):
    """The plan of a query when only an index can find its rows (no sequential scan, and no
    index scan that reads a whole btree index in order)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        try:
            return queryset.explain(analyze=analyze)
        finally:
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_indexscan")


def bulk_meetings(count):
    """`count` public meetings of Khmer phrases in a random order, and the statistics a
    database that has run for a while has: the table analysed, and the trigram index's own
    (which only a VACUUM, outside any transaction, or a rebuild writes)."""
    phrases = [
        "ក្រសួងមហាផ្ទៃ", "ស្ថានទូតបារាំង", "កិច្ចសហប្រតិបត្តិការ", "ជនរងគ្រោះ", "នគរបាលជាតិ",
        "ព្រំដែន", "កុមារ", "ស្ត្រី", "ការបណ្តុះបណ្តាល", "ច្បាប់", "ការស៊ើបអង្កេត", "ពលករ",
        "ប្រទេសថៃ", "រាជធានីភ្នំពេញ", "ខេត្តបាត់ដំបង", "ប៉ោយប៉ែត", "ការបញ្ជូនត្រឡប់",
    ]  # fmt: skip
    rng = random.Random(13)
    owner = factories.default_owner()
    models.Meeting.objects.bulk_create(
        models.Meeting(
            title=f"Bulk meeting {n}", slug=f"bulk-meeting-{n}", owner=owner,
            summary="".join(rng.sample(phrases, 5)), visibility=Visibility.PUBLIC,
            date=datetime.date(2022, 1, 1) + datetime.timedelta(days=n % 700),
        )
        for n in range(count)
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("REINDEX INDEX meeting_substring_idx")
        cursor.execute("ANALYZE cooperation_meeting")


@on_postgresql
def test_a_khmer_search_uses_the_trigram_index_and_finds_only_its_rows(db):
    bulk_meetings(3000)
    factories.MeetingFactory(title="Interior and IOM", summary=MINISTRY_AND_IOM)
    queryset = search.matching(
        models.Meeting.objects.visible_to(AnonymousUser()), weighted_of("meetings"),
        HUMAN_TRAFFICKING, language="km",
    )  # fmt: skip
    explained = queryset.explain(analyze=True)
    assert [m.title for m in queryset] == ["Interior and IOM"]
    assert "Bitmap Index Scan on meeting_substring_idx" in explained, explained
    # The trigrams are specific: the index hands over the one row, not the 3,000.
    index_scan = next(line for line in explained.splitlines() if "meeting_substring_idx" in line)
    assert "rows=1 loops=1)" in index_scan, explained


@on_postgresql
@pytest.mark.parametrize("key", INDEXED_KINDS)
@pytest.mark.parametrize(
    "query, language, index",
    [
        (HUMAN_TRAFFICKING, "km", "substring_idx"),
        ("plaintes", "fr", "search_fr_idx"),
        ("plaintes", "fr", "search_idx"),
        ("trafficking", "en", "search_idx"),
        ("trafficking", "en", "search_fr_idx"),
    ],
)
def test_every_kind_matches_on_its_indexes(db, key, query, language, index):
    """The match alone (the visibility filter has btree indexes of its own)."""
    model_name = INDEXED_KINDS[key]
    queryset = search.matching(
        model_of(key).objects.all(), weighted_of(key), query, language=language
    )
    explained = plan(queryset)
    assert f"Bitmap Index Scan on {model_name}_{index}" in explained, explained
