"""The admin change form's notes above its fields (`cooperation.admin_errors`):
`{% error_links adminform inline_admin_formsets as links %}` and
`{% time_zone_note adminform inline_admin_formsets %}`."""

from django import template

from cooperation import admin_errors

register = template.Library()


@register.simple_tag
def error_links(adminform, inline_admin_formsets) -> list[admin_errors.ErrorLink]:
    """Each place in the form with an error, named and with its element's id."""
    if adminform is None:
        return []
    return admin_errors.error_links(adminform, inline_admin_formsets or [])


@register.simple_tag
def time_zone_note(adminform, inline_admin_formsets) -> str:
    """The time zone the form's dates and times are in; nothing for a form without any."""
    if adminform is None or not admin_errors.has_dates(adminform, inline_admin_formsets or []):
        return ""
    return admin_errors.time_zone_note()
