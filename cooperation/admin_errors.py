"""What the admin's change form says above its fields (`admin/cooperation/change_form.html`).

A meeting's form with its commitments and citations runs to thousands of pixels: an error at
the bottom is out of sight of the note at the top that announces it. The note names each field
in error instead, of the record and of every inline row ("Commitment 2 — Title"), each linked
to the field's element in the page. And a form with dates says once which time zone they are
in, the browser's own being beside the point.
"""

import datetime
import re
from typing import NamedTuple

from django import forms
from django.contrib.admin.helpers import AdminForm, InlineAdminFormSet
from django.forms.formsets import DELETION_FIELD_NAME
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cooperation.numerals import native_digits

DATE_AND_TIME_WIDGETS = (
    forms.DateInput,
    forms.DateTimeInput,
    forms.TimeInput,
    forms.SplitDateTimeWidget,
)


class ErrorLink(NamedTuple):
    """One place in a form with errors: what it is called, the id of its element in the page
    and what is wrong there."""

    label: str
    anchor: str
    messages: list[str]


def _field_anchor(form: forms.BaseForm, name: str, fallback: str) -> str:
    """The id of the element a field is entered in: its input, or the first of several
    (a radio button, a split date and time); the `<select>` an autocomplete box stands for.
    A hidden field has none to show: the row or form it is in."""
    bound = form[name]
    if bound.is_hidden:
        return fallback
    return bound.id_for_label or bound.auto_id or fallback


def _without_label(message: str, label: str) -> str:
    """A message less the field's name it starts with ("Period end: a period cannot end…"
    under "Period end"), which the note says already."""
    match = re.match(rf"{re.escape(label)}\s*[:：៖]\s*", str(message), re.IGNORECASE)
    return str(message)[match.end() :] if match else str(message)


def _form_errors(form: forms.BaseForm, *, name: str, row: bool, anchor: str) -> list[ErrorLink]:
    """One link for what is wrong with `form` as a whole (called `name`, found at `anchor`),
    then one per field in error, in the order the form shows them; an inline row's fields
    named "<row> — <field>"."""
    if not form.is_bound or not form.errors:
        return []
    links = []
    if form.non_field_errors():
        links.append(ErrorLink(name, anchor, list(form.non_field_errors())))
    for field_name, field in form.fields.items():
        if field_name not in form.errors:
            continue
        field_label = str(capfirst(field.label or field_name))
        label = (
            _("%(row)s — %(field)s") % {"row": name, "field": field_label} if row else field_label
        )
        messages = [_without_label(message, field_label) for message in form.errors[field_name]]
        links.append(ErrorLink(label, _field_anchor(form, field_name, anchor), messages))
    return links


def _deleted(form: forms.BaseForm) -> bool:
    """Whether an inline row is marked for deletion: the admin ignores its errors."""
    return bool(getattr(form, "cleaned_data", {}).get(DELETION_FIELD_NAME))


def error_links(
    adminform: AdminForm, inline_admin_formsets: list[InlineAdminFormSet]
) -> list[ErrorLink]:
    """Every error of a change form, in the order of the page: the record's (what concerns it
    as a whole, then each field), then each inline's (the set of rows, then each row's)."""
    opts = adminform.model_admin.opts
    links = _form_errors(
        adminform.form,
        name=capfirst(opts.verbose_name),
        row=False,
        anchor=f"{opts.model_name}_form",
    )
    for inline in inline_admin_formsets:
        formset = inline.formset
        if formset.is_bound and formset.non_form_errors():
            links.append(
                ErrorLink(
                    capfirst(inline.opts.verbose_name_plural),
                    f"{formset.prefix}-group",
                    list(formset.non_form_errors()),
                )
            )
        for index, form in enumerate(formset.forms):
            if formset.can_delete and _deleted(form):
                continue
            name = _("%(record)s %(number)s") % {
                "record": capfirst(inline.opts.verbose_name),
                "number": native_digits(index + 1),
            }
            links += _form_errors(form, name=name, row=True, anchor=f"{formset.prefix}-{index}")
    return links


def has_dates(adminform: AdminForm, inline_admin_formsets: list[InlineAdminFormSet]) -> bool:
    """Whether a change form has a date or time to enter, in the record or an inline row."""
    fields = [
        *adminform.form.fields.values(),
        *(
            field
            for inline in inline_admin_formsets
            for field in inline.formset.form.base_fields.values()
        ),
    ]
    return any(isinstance(field.widget, DATE_AND_TIME_WIDGETS) for field in fields)


def utc_offset(offset: datetime.timedelta) -> str:
    """An offset from UTC as people write it: "UTC+7", "UTC+5:30", "UTC-3", "UTC"."""
    minutes = int(offset.total_seconds()) // 60
    if not minutes:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    return native_digits(f"UTC{sign}{hours}" + (f":{minutes:02d}" if minutes else ""))


# The project's time zone named in the reader's language; another zone is named by its city
# as the time zone database spells it.
ZONE_PLACES = {"Asia/Phnom_Penh": gettext_lazy("Phnom Penh")}


def time_zone_note() -> str:
    """The sentence saying which time zone the admin's dates and times are in: the project's
    (TIME_ZONE), as the server reads and writes them and "Today" and "Now" give them."""
    name = timezone.get_current_timezone_name()
    place = ZONE_PLACES.get(name) or name.rsplit("/", 1)[-1].replace("_", " ")
    offset = datetime.datetime.now(timezone.get_current_timezone()).utcoffset()
    return _("Dates and times are %(place)s time (%(offset)s).") % {
        "place": place,
        "offset": utc_offset(offset or datetime.timedelta()),
    }
