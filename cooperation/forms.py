"""Forms for the browsing pages: the timeline filter and the search box.

The list pages' filters live in `filtersets.py`; these two pages read from more than
one table at once, so their filters are plain forms turned into selector arguments.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_filters.fields import ModelChoiceField

from cooperation import selectors
from cooperation.models import Partner, Topic
from cooperation.selectors import coverage

MAX_QUERY_LENGTH = 200


SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,160}$")


class QuickSelect(forms.Select):
    """A select whose options are written out here rather than through one template each: a
    list of a thousand partners costs a millisecond, not a hundred."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        options = "".join(
            f'<option value="{conditional_escape(option)}"'
            f"{' selected' if str(option) in chosen else ''}>{conditional_escape(label)}</option>"
            for option, label in self.choices
        )
        final_attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        return mark_safe(f"<select{flatatt(final_attrs)}>{options}</select>")  # noqa: S308


class SlugModelChoiceField(ModelChoiceField):
    """A choice of record by slug that refuses anything not shaped like a slug before it
    reaches the database (NUL bytes, very long or odd text). Optional unless told
    otherwise: it narrows a list, as every filter does."""

    widget = QuickSelect

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to_field_name", "slug")
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not isinstance(value, str) or not SLUG.match(value):
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": str(value)[:40]},
            )
        return super().to_python(value)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateRangeMixin:
    """Refuses a range whose end comes before its start."""

    range_fields = ("date_from", "date_to")

    def clean(self):
        cleaned = super().clean()
        start, end = (cleaned.get(name) for name in self.range_fields)
        if start and end and end < start:
            self.add_error(self.range_fields[1], _("The end of the range comes before its start."))
        return cleaned


class TimelineFilterForm(DateRangeMixin, forms.Form):
    """Narrows the timeline by partner, topic, kind of entry and date range."""

    partner = SlugModelChoiceField(
        label=_("Partner"),
        queryset=Partner.objects.visible_to(None),
        empty_label=_("All partners"),
    )
    topic = SlugModelChoiceField(
        label=_("Topic"),
        queryset=Topic.objects.visible_to(None),
        empty_label=_("All topics"),
    )
    kind = forms.MultipleChoiceField(
        label=_("Show"),
        choices=selectors.EntryKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    order = forms.ChoiceField(
        label=_("Order"),
        choices=[("", _("Newest first")), ("oldest", _("Oldest first"))],
        required=False,
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Partner.objects.visible_to(user).only(
            "pk", "slug", "name"
        )

    def to_filters(self) -> selectors.TimelineFilters:
        """The selector's filters from a valid form (or no narrowing from an unbound one)."""
        if not self.is_bound:
            return selectors.TimelineFilters()
        data = self.cleaned_data
        return selectors.TimelineFilters(
            partner=data.get("partner"),
            topic=data.get("topic"),
            kinds=list(data.get("kind") or []),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            oldest_first=data.get("order") == "oldest",
        )


class SearchForm(forms.Form):
    """One search box across every kind of record."""

    q = forms.CharField(
        label=_("Search"),
        max_length=MAX_QUERY_LENGTH,
        required=False,
        widget=forms.SearchInput(attrs={"placeholder": _("Names, places, topics, words…")}),
    )

    def clean_q(self):
        # Control characters never belong in a query; drop them rather than refuse it.
        value = self.cleaned_data["q"]
        return "".join(ch for ch in value if ch.isprintable() or ch == " ").strip()


class CoverageFilterForm(DateRangeMixin, forms.Form):
    """Narrows the coverage table to one kind of record and a date range."""

    kind = forms.ChoiceField(
        label=_("Count"),
        choices=[(kind, label) for kind, (_model, _url, label) in coverage.KINDS.items()],
        required=False,
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def to_filters(self) -> coverage.CoverageFilters:
        """The selector's filters from a valid form (the defaults from an unbound one)."""
        if not self.is_bound:
            return coverage.CoverageFilters()
        data = self.cleaned_data
        return coverage.CoverageFilters(
            kind=data.get("kind") or coverage.DEFAULT_KIND,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
