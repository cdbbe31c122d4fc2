"""Records in several languages: a record's text in the reader's language where a translation
was entered, else its original, marked; the database keeps a record's own language untranslated;
the admin edits the languages side by side; exports keep the original."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from cooperation import models
from cooperation.translations import shown, shown_html
from tests import factories

pytestmark = pytest.mark.django_db

KHMER_TITLE = "កិច្ចប្រជុំស្តីពីការប្រយុទ្ធប្រឆាំងការជួញដូរមនុស្ស"
FRENCH_TITLE = "Réunion sur la lutte contre la traite des personnes"
MARK_KM = "(មិនទាន់បានបកប្រែ)"
MARK_FR = "(non traduit)"


def meeting(**fields):
    return factories.MeetingFactory(title="Meeting on counter-trafficking", **fields)


def test_a_field_shows_its_translation_else_its_original_marked():
    record = meeting(title_km=KHMER_TITLE)
    assert shown(record, "title", "en") == ("Meeting on counter-trafficking", "en", False)
    assert shown(record, "title", "km") == (KHMER_TITLE, "km", False)
    assert shown(record, "title", "fr") == ("Meeting on counter-trafficking", "en", True)
    assert shown(record, "outcome", "fr") == ("", "en", False)  # nothing to translate


def test_a_record_written_in_khmer_shows_its_original_in_khmer_and_a_french_translation():
    record = meeting(language="km", title_fr=FRENCH_TITLE)
    record.title = KHMER_TITLE
    assert shown(record, "title", "km") == (KHMER_TITLE, "km", False)
    assert shown(record, "title", "fr") == (FRENCH_TITLE, "fr", False)
    assert shown(record, "title", "en") == (KHMER_TITLE, "km", True)


def test_the_html_gives_other_languages_their_lang_and_marks_what_is_untranslated():
    record = meeting(title_km=KHMER_TITLE)
    with translation.override("km"):
        assert shown_html(record, "title") == KHMER_TITLE
    with translation.override("fr"):
        assert shown_html(record, "title") == (
            '<span lang="en">Meeting on counter-trafficking</span> '
            f'<span class="untranslated">{MARK_FR}</span>'
        )
    record.title_fr = "<b>Réunion</b>"
    with translation.override("fr"):
        assert shown_html(record, "title") == "&lt;b&gt;Réunion&lt;/b&gt;"


def test_the_database_refuses_an_unknown_language_and_a_translation_into_its_own():
    record = meeting()
    with pytest.raises(IntegrityError), transaction.atomic():
        models.Meeting.objects.filter(pk=record.pk).update(language="de")
    with pytest.raises(IntegrityError), transaction.atomic():
        models.Meeting.objects.filter(pk=record.pk).update(title_en="Another title")
    models.Meeting.objects.filter(pk=record.pk).update(title_fr=FRENCH_TITLE)  # another language
    with pytest.raises(IntegrityError), transaction.atomic():
        models.Partner.objects.filter(pk=record.partners.get().pk).update(
            language="km", name_km="ក្រសួងមហាផ្ទៃ"
        )


def test_the_form_check_names_the_rule_before_the_database_would():
    from django.core.exceptions import ValidationError

    record = meeting()
    record.title_en = "Another title"
    with translation.override("en"), pytest.raises(ValidationError, match="stays empty"):
        record.full_clean()


def test_a_meeting_page_in_khmer_shows_the_khmer_title_and_marks_the_untranslated_summary(client):
    ministry = factories.PartnerFactory(name="Ministry of Interior", name_km="ក្រសួងមហាផ្ទៃ")
    record = meeting(title_km=KHMER_TITLE, partners=[ministry])
    html = client.get(record.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="km").content.decode()
    assert f"<h1>{KHMER_TITLE}</h1>" in html
    assert f"<title>{KHMER_TITLE}" in html
    assert (
        f'<span lang="en">They discussed cooperation.</span> <span class="untranslated">{MARK_KM}'
        in html
    )
    assert ">ក្រសួងមហាផ្ទៃ</a>" in html

    english = client.get(record.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>Meeting on counter-trafficking</h1>" in english
    assert 'class="untranslated"' not in english


def test_the_meetings_table_shows_translations_and_its_export_keeps_the_original(client):
    meeting(title_km=KHMER_TITLE)
    url = reverse("cooperation:meeting-list")
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="km").content.decode()
    assert KHMER_TITLE in html
    export = client.get(url + "?_export=csv", HTTP_ACCEPT_LANGUAGE="km")
    csv = b"".join(export.streaming_content).decode()
    assert "Meeting on counter-trafficking" in csv and KHMER_TITLE not in csv


def test_the_admin_edits_the_languages_side_by_side(admin_client):
    record = meeting(title_fr=FRENCH_TITLE)
    url = reverse("admin:cooperation_meeting_change", args=[record.pk])
    html = admin_client.get(url).content.decode()
    assert "In other languages" in html
    # One row per field, a column per language: Django's admin lays a row's fields side by side.
    row = html.split('<div class="form-row field-title_en field-title_fr field-title_km">')[1]
    row = row.split('<div class="form-row')[0]
    assert all(label in row for label in ("Title in English", "Title in French", "Title in Khmer"))
    assert f'name="title_fr" value="{FRENCH_TITLE}"' in row
    assert 'name="language"' in html


# Search finds a record by its translations, each in its own language's document.


def found(query, language):
    from django.contrib.auth.models import AnonymousUser

    from cooperation import search

    groups = search.search(user=AnonymousUser(), query=query, language=language)
    return [record.pk for group in groups if group.key == "meetings" for record in group.results]


def test_search_finds_a_record_by_its_khmer_french_and_english_translations():
    translated = meeting(
        title_km=KHMER_TITLE,
        title_fr=FRENCH_TITLE,
        summary_fr="Les engagements pris envers les victimes.",
    )
    written_in_khmer = factories.MeetingFactory(
        title="ការប្រជុំនៅភ្នំពេញ", language="km", title_en="Meeting in Phnom Penh"
    )
    factories.MeetingFactory(title="Unrelated gathering")
    assert found("ការជួញដូរមនុស្ស", "km") == [translated.pk]  # inside a sentence
    assert found("engagement", "fr") == [translated.pk]  # French stemming of "engagements"
    assert found("traite", "en") == [translated.pk]  # French text, from the English pages
    assert found("Phnom Penh", "en") == [written_in_khmer.pk]
    assert found("ភ្នំពេញ", "km") == [written_in_khmer.pk]


def test_search_translation_indexes_hold_the_expressions_search_matches_on():
    import importlib

    from django.db import connection
    from django.db.models.functions import Upper
    from django.db.models.sql import Query

    from cooperation import search

    migration = importlib.import_module("cooperation.migrations.0019_search_translations")
    assert migration.ZERO_WIDTH_SPACE == search.ZERO_WIDTH_SPACE

    def compiled(model, expression):
        query = Query(model)
        compiler = query.get_compiler(connection=connection)
        return compiler.compile(expression.resolve_expression(query, allow_joins=False))

    kinds = {"partners": "partner", "meetings": "meeting", "commitments": "commitment",
             "milestones": "milestone"}  # fmt: skip
    for key, _label, model, weighted in search.SEARCHED:
        if key not in kinds:
            assert not search.translation_fields(model, weighted, "en"), key
            continue
        english, french, khmer = migration.translation_indexes(
            kinds[key], migration.TRANSLATED_SEARCHED_FIELDS[kinds[key]]
        )
        assert compiled(model, english.expressions[0]) == compiled(
            model,
            search.full_text_document(search.translation_fields(model, weighted, "en"), "english"),
        )
        assert compiled(model, french.expressions[0]) == compiled(
            model,
            search.full_text_document(search.translation_fields(model, weighted, "fr"), "french"),
        )
        (indexed,) = khmer.expressions[0].get_source_expressions()
        assert compiled(model, indexed) == compiled(
            model,
            Upper(search.substring_document(search.translation_fields(model, weighted, "km"))),
        )


def test_a_khmer_search_of_translations_reads_their_trigram_index():
    from django.db import connection

    from cooperation import search

    meeting(title_km=KHMER_TITLE)
    weighted = next(weighted for key, _l, _m, weighted in search.SEARCHED if key == "meetings")
    queryset = search.matching(models.Meeting.objects.all(), weighted, "ការជួញដូរមនុស្ស", language="km")
    with connection.cursor() as cursor:
        # Only an index can find the rows: no sequential scan, no btree read in order.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = queryset.explain()
    assert "meeting_substring_tr_km_idx" in plan and "meeting_substring_idx" in plan, plan
