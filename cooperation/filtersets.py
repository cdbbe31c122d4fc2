"""Filters for the list pages, one filterset per table.

Partner and topic choices are by slug, so filtered addresses stay readable and
stable; partner choices come from the partners the requesting user may see. Each
filterset has a `q` search over its record's words.
"""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from cooperation import search, selectors, small_counts
from cooperation.forms import MAX_QUERY_LENGTH, DateInput, DateRangeMixin, SlugModelChoiceField
from cooperation.models import (
    Commitment,
    CommitmentKind,
    CommitmentStatus,
    ComplaintCount,
    Meeting,
    Milestone,
    MilestoneKind,
    Partner,
    PartnerKind,
    Pillar,
    Topic,
)
from cooperation.selectors.coverage import NOT_CLASSIFIED


class RangeForm(DateRangeMixin, forms.Form):
    """The filter form: refuses a date range that ends before it starts."""


@extend_schema_field(OpenApiTypes.STR)  # for the API's schema: a record's slug
class SlugChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = SlugModelChoiceField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to_field_name", "slug")
        kwargs.setdefault("empty_label", _("Any"))
        super().__init__(*args, **kwargs)


class AnyChoiceFilter(django_filters.ChoiceFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("empty_label", _("Any"))
        super().__init__(*args, **kwargs)


def visible_partners(request):
    return Partner.objects.visible_to(getattr(request, "user", None)).only("pk", "slug", "name")


def visible_topics(request):
    return Topic.objects.visible_to(getattr(request, "user", None))


def search_field(**kwargs):
    return django_filters.CharFilter(
        label=_("Words"),
        method="search",
        max_length=MAX_QUERY_LENGTH,
        **kwargs,
    )


def date_from(field_name="date", **kwargs):
    return django_filters.DateFilter(
        field_name=field_name, lookup_expr="gte", label=_("From"), widget=DateInput(), **kwargs
    )


def date_to(field_name="date", **kwargs):
    return django_filters.DateFilter(
        field_name=field_name, lookup_expr="lte", label=_("To"), widget=DateInput(), **kwargs
    )


class SearchableFilterSet(django_filters.FilterSet):
    """A filterset whose `q` matches every word in the fields of its kind's search document
    (`search.SEARCHED`), so the list and the search page look at the same words."""

    search_key = ""
    q = search_field()

    class Meta:
        form = RangeForm

    def search(self, queryset, name, value):
        return queryset.filter(selectors.words_q(value, *search.fields_of(self.search_key)))


class PartnerFilterSet(SearchableFilterSet):
    search_key = "partners"
    kind = AnyChoiceFilter(label=_("Kind"), choices=PartnerKind.choices)
    country = django_filters.CharFilter(
        label=_("Country"),
        method="filter_country",
        max_length=2,
        help_text=_("Two-letter code, such as KH."),
    )
    topic = SlugChoiceFilter(label=_("Topic"), queryset=visible_topics, method="filter_topic")

    class Meta(SearchableFilterSet.Meta):
        model = Partner
        fields = ["q", "kind", "country", "topic"]

    def filter_country(self, queryset, name, value):
        return queryset.filter(country=value.strip().upper())

    def filter_topic(self, queryset, name, value):
        """Partners that took part in a meeting, commitment or milestone on this topic."""
        meetings = Meeting.partners.through.objects.filter(meeting__topics=value).values("partner")
        milestones = Milestone.partners.through.objects.filter(milestone__topics=value).values(
            "partner"
        )
        commitments = Commitment.objects.filter(topics=value).values("made_by")
        return queryset.filter(Q(pk__in=meetings) | Q(pk__in=milestones) | Q(pk__in=commitments))


class LinkedRecordFilterSet(SearchableFilterSet):
    """Dated records linked to partners and topics: meetings, commitments, milestones."""

    partner = SlugChoiceFilter(
        label=_("Partner"), queryset=visible_partners, method="filter_partner"
    )
    topic = SlugChoiceFilter(label=_("Topic"), queryset=visible_topics, method="filter_topic")
    pillar = AnyChoiceFilter(
        label=_("Plan pillar"),
        choices=[*Pillar.choices, (NOT_CLASSIFIED, _("Not classified"))],
        method="filter_pillar",
    )
    date_from = date_from()
    date_to = date_to()

    def filter_partner(self, queryset, name, value):
        return selectors.linked_to(queryset, "partners", value)

    def filter_topic(self, queryset, name, value):
        return selectors.linked_to(queryset, "topics", value)

    def filter_pillar(self, queryset, name, value):
        return queryset.filter(pillar="" if value == NOT_CLASSIFIED else value)


class MeetingFilterSet(LinkedRecordFilterSet):
    search_key = "meetings"

    class Meta(SearchableFilterSet.Meta):
        model = Meeting
        fields = ["q", "partner", "topic", "pillar", "date_from", "date_to"]


class CommitmentFilterSet(LinkedRecordFilterSet):
    search_key = "commitments"
    status = AnyChoiceFilter(label=_("Status"), choices=CommitmentStatus.choices)
    state = AnyChoiceFilter(
        label=_("Standing"),
        choices=[
            ("open", _("Open")),
            ("overdue", _("Overdue")),
            ("due_soon", _("Due soon")),
            ("stale", _("Stale")),
        ],
        method="filter_state",
    )
    kind = AnyChoiceFilter(label=_("Kind"), choices=CommitmentKind.choices)
    partner = SlugChoiceFilter(
        label=_("By or to partner"), queryset=visible_partners, method="filter_partner"
    )

    class Meta(SearchableFilterSet.Meta):
        model = Commitment
        fields = [
            "q",
            "status",
            "state",
            "kind",
            "partner",
            "topic",
            "pillar",
            "date_from",
            "date_to",
        ]

    def filter_state(self, queryset, name, value):
        return getattr(queryset, value)()

    def filter_partner(self, queryset, name, value):
        return queryset.involving(value)


class ComplaintCountFilterSet(django_filters.FilterSet):
    received_by = SlugChoiceFilter(label=_("Received by"), queryset=visible_partners)
    date_from = date_from("period_end", help_text=_("Periods that end on or after this day."))
    date_to = date_to("period_start", help_text=_("Periods that start on or before this day."))
    verified = django_filters.BooleanFilter(
        label=_("Share found true is known"),
        method="filter_verified",
        widget=forms.Select(choices=[("", _("Any")), ("true", _("Yes")), ("false", _("No"))]),
    )

    class Meta:
        model = ComplaintCount
        fields = ["received_by", "date_from", "date_to", "verified"]
        form = RangeForm

    def filter_verified(self, queryset, name, value):
        # A small count's share is hidden with it: not known, to readers not signed in.
        known = small_counts.share_known_q(getattr(self.request, "user", None))
        return queryset.filter(known) if value else queryset.exclude(known)


class MilestoneFilterSet(LinkedRecordFilterSet):
    search_key = "milestones"
    kind = AnyChoiceFilter(label=_("Kind"), choices=MilestoneKind.choices)

    class Meta(SearchableFilterSet.Meta):
        model = Milestone
        fields = ["q", "kind", "partner", "topic", "pillar", "date_from", "date_to"]
