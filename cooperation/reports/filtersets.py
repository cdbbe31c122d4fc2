"""Filters for the report list."""

import django_filters
from django.utils.translation import gettext_lazy as _

from cooperation.filtersets import AnyChoiceFilter, SlugChoiceFilter, visible_partners
from cooperation.models import Report, ReportAudience, ReportKind, ReportStatus


class ReportFilterSet(django_filters.FilterSet):
    kind = AnyChoiceFilter(label=_("Kind"), choices=ReportKind.choices)
    audience = AnyChoiceFilter(label=_("Audience"), choices=ReportAudience.choices)
    status = AnyChoiceFilter(label=_("Status"), choices=ReportStatus.choices)
    partner = SlugChoiceFilter(label=_("Partner"), queryset=visible_partners)
    covers = django_filters.DateFilter(
        label=_("Covers the day"),
        method="filter_covers",
        widget=django_filters.widgets.forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Report
        fields = ["kind", "audience", "status", "partner"]

    def filter_covers(self, queryset, name, value):
        return queryset.filter(period_start__lte=value, period_end__gte=value)
