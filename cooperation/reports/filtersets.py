"""Filters for the report list."""

import django_filters
from django.utils.translation import gettext_lazy as _

from cooperation.models import Partner, Report, ReportKind, ReportStatus, Visibility


def visible_partners(request):
    partners = Partner.objects.all()
    if request is None or not request.user.is_authenticated:
        return partners.filter(visibility=Visibility.PUBLIC)
    return partners


class ReportFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=ReportKind.choices)
    audience = django_filters.ChoiceFilter(label=_("Audience"), choices=Visibility.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ReportStatus.choices)
    partner = django_filters.ModelChoiceFilter(
        label=_("Partner"), queryset=visible_partners, to_field_name="slug"
    )
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
