"""Records in several languages: a record's text is written in one language (`language`, its
original), and each translated field has a column per language beside it (`title_fr`,
`title_km`), in the same table, so that filters, ordering and search stay on one row.

A page shows a field in its reader's language when the record is written in it or a
translation was entered; otherwise the original, marked as not translated. Verbatim citations
are never translated: they live in `Citation.passage`, which has no translation columns.
"""

from typing import NamedTuple

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


def written_in() -> models.CharField:
    """The field saying which language a record's own text is written in."""
    return models.CharField(
        _("written in"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language of the text as entered; translations go beside it."),
    )


def translations_of(field: models.Field) -> tuple[models.Field, ...]:
    """One blank column per language for a text field, in the order of LANGUAGES: unpack
    them beside the field, `title_en, title_fr, title_km = translations_of(title)`."""
    _name, _path, args, kwargs = field.deconstruct()
    kwargs.pop("unique", None)
    kwargs.pop("help_text", None)
    columns = []
    for _code, name in settings.LANGUAGES:
        verbose_name = format_lazy(
            _("{field} in {language}"), field=field.verbose_name, language=name
        )
        # Empty in the database too, so that a process still running the code of before the
        # column (during a deploy) can go on writing rows.
        column = type(field)(
            *args, **{**kwargs, "verbose_name": verbose_name, "blank": True, "default": "",
                      "db_default": ""}
        )  # fmt: skip
        columns.append(column)
    return tuple(columns)


def translation_constraints(prefix: str, fields: list[str]) -> list[models.CheckConstraint]:
    """A record's language is one Concord speaks, and its translation into its own language
    stays empty: the original is the text itself."""
    own_blank = Q()
    for code in LANGUAGE_CODES:
        own_blank &= ~Q(language=code) | Q(**{f"{field}_{code}": "" for field in fields})
    return [
        models.CheckConstraint(
            condition=Q(language__in=LANGUAGE_CODES),
            name=f"{prefix}_language_known",
            violation_error_message=_("Written in: choose one of the languages Concord speaks."),
        ),
        models.CheckConstraint(
            condition=own_blank,
            name=f"{prefix}_no_translation_into_its_own_language",
            violation_error_message=_(
                "A translation into the language the record is written in stays empty: "
                "the text itself is the original."
            ),
        ),
    ]


class Shown(NamedTuple):
    """A field's text as a reader sees it: in `language`, translated unless `untranslated`."""

    text: str
    language: str
    untranslated: bool


def shown(record, field: str, language: str | None = None) -> Shown:
    """`field` of `record` in `language` (the active one): the original when the record is
    written in it, else its translation, else the original marked as untranslated. An empty
    original is never marked: there is nothing to translate."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    original = getattr(record, field)
    written = getattr(record, "language", settings.LANGUAGE_CODE)
    if language == written or not original:
        return Shown(original, written, False)
    translated = getattr(record, f"{field}_{language}", "")
    if translated:
        return Shown(translated, language, False)
    return Shown(original, written, True)


def shown_text(record, field: str) -> str:
    """`shown` as plain text, for a report or a feed: an untranslated original followed by
    the words that say so."""
    text = shown(record, field)
    return f"{text.text} {gettext('(not translated)')}" if text.untranslated else text.text


def display_name_text(partner) -> str:
    """A partner's short name, else its name (`Partner.display_name`), as `shown_text`."""
    return shown_text(partner, "short_name" if partner.short_name else "name")


def name_html(record) -> SafeString:
    """The record's name or title (its first translated field) as `shown_html` gives it; a
    record without translations, by its string."""
    fields = getattr(record, "translated_fields", None)
    return shown_html(record, fields[0]) if fields else format_html("{}", record)


def display_name_html(partner) -> SafeString:
    """A partner's short name, else its name (`Partner.display_name`), as `shown_html`."""
    return shown_html(partner, "short_name" if partner.short_name else "name")


def shown_html(record, field: str) -> SafeString:
    """`shown` as HTML: text in another language than the page's carries its `lang`, and an
    untranslated original is followed by a mark saying so."""
    text = shown(record, field)
    page_language = translation.get_language() or settings.LANGUAGE_CODE
    if text.language == page_language:
        return format_html("{}", text.text)
    html = format_html('<span lang="{}">{}</span>', text.language, text.text)
    if text.untranslated:
        html = format_html(
            '{} <span class="untranslated">{}</span>', html, gettext("(not translated)")
        )
    return html
