"""Small template helpers for the browsing pages."""

from django import template
from django.conf import settings
from django.utils.safestring import mark_safe

from cooperation import dates, follow_up, numerals, small_counts, translations
from cooperation.highlight import passage_anchor

register = template.Library()


@register.filter
def follow_up_marks(commitment) -> str:
    """A commitment's overdue, due-soon and stale marks (`cooperation.follow_up`)."""
    return follow_up.marks_html(commitment)


@register.filter
def anchor(item) -> str:
    """The id of a citation's or status update's passage on its source page."""
    return passage_anchor(item)


@register.filter(is_safe=True)
def number(value, decimals=None) -> str:
    """A count or figure in the reader's language: 1200 → '1,200', '1 200', '១.២០០'; empty for
    None. Every count a page shows goes through it (see `cooperation.numerals`)."""
    if value is None or value == "":
        return ""
    return numerals.number(value, None if decimals is None else int(decimals))


@register.filter(is_safe=True)
def percent(value, decimals: int = 0) -> str:
    """0.95 → '95%', '95 %', '៩៥%'; empty for None."""
    if value is None or value == "":
        return ""
    return numerals.percent(float(value), int(decimals))


@register.filter
def complaint_count(record) -> str:
    """A complaint count in the reader's language, or 'fewer than 11' when it is a small
    public figure and the reader is not signed in (`cooperation.small_counts`)."""
    return small_counts.count_text(record)


@register.filter
def small_count(record) -> bool:
    """Whether a complaint count shows as 'fewer than 11' (its share is hidden with it)."""
    return small_counts.is_hidden(record)


@register.filter
def shown_share(record):
    """A complaint count's share found true; None when not known or hidden with the count."""
    return small_counts.shown_share(record)


@register.filter
def shown_verified_count(record):
    """Complaints found true (rounded); None when not known or hidden with the count."""
    return small_counts.shown_verified_count(record)


@register.simple_tag(takes_context=True)
def small_counts_note(context) -> str:
    """How small public counts show, for a reader not signed in (`small_counts.reader_note`)."""
    return small_counts.reader_note(getattr(context.get("request"), "user", None))


@register.filter(is_safe=True)
def digits(value) -> str:
    """Text this project wrote (a year, a page label) in the reader's digits. Never for a
    record's own text, a citation, an address or a form's value."""
    return numerals.native_digits(value)


@register.filter
def date_display(value) -> str:
    """A known day in the reader's language: '1 Nov 2022', '1 nov. 2022', '១ វិច្ឆិកា ២០២២'."""
    return dates.format_day(value) if value else ""


@register.filter
def translated(record, field: str) -> str:
    """A record's field in the reader's language, the original marked when it is not
    translated: `{{ meeting|translated:"title" }}` (see `cooperation.translations`)."""
    return translations.shown_html(record, field)


@register.filter
def display_name(partner) -> str:
    """A partner's short name, else its name, in the reader's language (`translated`)."""
    return translations.display_name_html(partner)


@register.filter
def translated_text(record, field: str) -> str:
    """The same text as `translated`, plain, for a page's <title> or an attribute."""
    return translations.shown(record, field).text


@register.filter
def moment_display(value, seconds: bool = False) -> str:
    """A moment in the reader's language: '1 Nov 2022, 14:05'; with `seconds`, to the second."""
    return dates.format_moment(value, seconds=bool(seconds)) if value else ""


@register.simple_tag(takes_context=True)
def nav_active(context, *names) -> str:
    """'aria-current="page"' when the current URL name is one of `names`."""
    match = getattr(context.get("request"), "resolver_match", None)
    if match and match.url_name in names:
        return mark_safe('aria-current="page"')
    return ""


@register.filter
def web_address(value) -> str:
    """The address if it is http(s), else empty: stored addresses are not trusted as links
    (a `javascript:` address would run in the reader's browser)."""
    text = str(value or "").strip()
    return text if text.lower().startswith(("http://", "https://")) else ""


@register.simple_tag
def export_xlsx_max_rows() -> int:
    """How many rows an Excel export holds at most (the CSV has them all)."""
    return settings.EXPORT_XLSX_MAX_ROWS
