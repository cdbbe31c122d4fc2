"""Small template helpers for the browsing pages."""

from django import template
from django.conf import settings
from django.utils.safestring import mark_safe

from cooperation.highlight import passage_anchor

register = template.Library()


@register.filter
def anchor(item) -> str:
    """The id of a citation's or status update's passage on its source page."""
    return passage_anchor(item)


@register.filter
def percent(value, digits: int = 0) -> str:
    """0.95 → '95%'; empty for None."""
    if value is None or value == "":
        return ""
    return f"{float(value) * 100:.{int(digits)}f}%"


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
