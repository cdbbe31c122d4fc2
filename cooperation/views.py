"""The browsing pages. Views stay thin: parse the request, call selectors, render."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_POST
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin
from django_tables2.export import TableExport

from cooperation import charts, citing, exports, imports, languages, selectors, visibility
from cooperation import search as search_module
from cooperation.cache import anonymous_page_cache, lazy
from cooperation.filtersets import (
    CommitmentFilterSet,
    ComplaintCountFilterSet,
    MeetingFilterSet,
    MilestoneFilterSet,
    PartnerFilterSet,
)
from cooperation.forms import CoverageFilterForm, SearchForm, TimelineFilterForm
from cooperation.highlight import highlight_passages, passage_anchor
from cooperation.imports import exporting
from cooperation.imports.templates import template_write
from cooperation.models import (
    Commitment,
    ComplaintCount,
    Meeting,
    Milestone,
    Partner,
    Pillar,
    Source,
)
from cooperation.pagination import page_number, table_paginate
from cooperation.selectors import (
    commitment_list,
    complaintcount_list,
    meeting_list,
    milestone_list,
    partner_list,
)
from cooperation.selectors.brief import partner_brief
from cooperation.selectors.coverage import KINDS as COVERAGE_KINDS
from cooperation.tables import (
    CommitmentTable,
    ComplaintCountTable,
    MeetingTable,
    MilestoneTable,
    PartnerTable,
)

PER_PAGE = 25
MAX_PER_PAGE = 100


def lane_entries(entries) -> list[charts.LaneEntry]:
    """Timeline entries as marks on the lanes chart, one per partner they involve."""
    marks = []
    for entry in entries:
        lanes = [p.display_name for p in entry.partners] or [_("No partner")]
        for lane in lanes:
            marks.append(
                charts.LaneEntry(lane, entry.date, entry.end, entry.kind, entry.title, entry.url)
            )
    return marks


@anonymous_page_cache
def dashboard(request):
    """The front page: headline figures, the latest entries and three charts."""
    user = request.user
    context = {
        "figures": lazy(selectors.dashboard_figures, user=user),
        "latest": lazy(selectors.timeline_latest, user=user, limit=8),
        "complaints_chart": lazy(
            lambda: charts.complaints_per_period_chart(*selectors.complaints_per_period(user=user))
        ),
        "status_chart": lazy(
            lambda: charts.commitments_by_status_chart(selectors.commitments_by_status(user=user))
        ),
        "meetings_chart": lazy(
            lambda: charts.meetings_per_partner_year_chart(
                selectors.meetings_per_partner_year(user=user)
            )
        ),
    }
    return render(request, "cooperation/dashboard.html", context)


@anonymous_page_cache
def timeline(request):
    """Every dated record on one filterable timeline, a page at a time."""
    form = TimelineFilterForm(request.GET or None, user=request.user)
    if form.is_bound and not form.is_valid():
        page = selectors.TimelinePage(entries=[], number=1)
    else:
        page = lazy(
            selectors.timeline_page,
            user=request.user,
            filters=form.to_filters(),
            page=page_number(request.GET.get("page")),
        )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "groups": lazy(lambda: selectors.timeline_groups(page.entries)),
        "lanes_chart": lazy(lambda: charts.timeline_lanes_chart(lane_entries(page.entries))),
        "query": query.urlencode(),
    }
    return render(request, "cooperation/timeline.html", context)


@anonymous_page_cache
def coverage(request):
    """Partners × action-plan pillars: how many records of one kind serve each pillar."""
    form = CoverageFilterForm(request.GET or None)
    invalid = form.is_bound and not form.is_valid()
    filters = selectors.CoverageFilters() if invalid else form.to_filters()
    page = (
        selectors.CoveragePage()
        if invalid
        else lazy(
            selectors.coverage_page,
            user=request.user,
            filters=filters,
            page=page_number(request.GET.get("page")),
        )
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "kind_label": COVERAGE_KINDS[filters.kind][2],
        "pillars": Pillar.choices,
        "query": query.urlencode(),
    }
    return render(request, "cooperation/coverage.html", context)


class RecordListView(SingleTableMixin, FilterView):
    """A table of one kind of record with filters, sorting, pages and CSV/Excel export.

    Malformed filters give the page with the form's messages and no rows (never a
    guess at what was meant); the export of such a request gives the page too. The
    template is `cooperation/<model>_list.html`; `as_view` gives one page per kind.
    """

    export_formats = (TableExport.CSV, TableExport.XLSX)
    export_name = "concord"
    kind = ""
    exporting = False
    template_name_suffix = "_list"

    @staticmethod
    def selector(*, user):
        raise NotImplementedError

    def get_queryset(self):
        return self.selector(user=self.request.user)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        data = self.request.GET.copy()
        for key in ("page", "per_page", "sort", "_export", "hxl"):
            data.pop(key, None)
        kwargs["data"] = data or None
        return kwargs

    def get_table(self, **kwargs):
        if self.exporting:
            kwargs["extra_columns"] = exporting.export_columns(self.kind)
        table = self.get_table_class()(data=self.get_table_data(), **kwargs)
        if self.exporting:
            RequestConfig(self.request, paginate=False).configure(table)
        else:
            table_paginate(
                table, request=self.request, per_page=PER_PAGE, max_per_page=MAX_PER_PAGE
            )
        return table

    def get(self, request, *args, **kwargs):
        self.filterset = self.get_filterset(self.get_filterset_class())
        self.invalid = self.filterset.is_bound and not self.filterset.is_valid()
        if self.invalid:
            self.object_list = self.filterset.queryset.none()
        else:
            self.object_list = self.filterset.qs
        export_format = request.GET.get("_export")
        if export_format in self.export_formats and not self.invalid:
            self.exporting = True
            self.object_list = exporting.export_queryset(self.kind, self.object_list, request.user)
            filename = f"{self.export_name}.{export_format}"
            return exports.export_response(
                export_format,
                self.get_table(),
                filename=filename,
                hxl=request.GET.get("hxl") == "1",
            )
        context = self.get_context_data(filter=self.filterset, object_list=self.object_list)
        return self.render_to_response(context)

    def get_context_data(self, **kwargs):
        # The table is built only if the page's cached fragment misses (`cached_fragment`).
        context = super(SingleTableMixin, self).get_context_data(**kwargs)
        context["table"] = lazy(self.get_table, **self.get_table_kwargs())
        query = self.request.GET.copy()
        for key in ("page", "_export"):
            query.pop(key, None)
        context.update(
            invalid=self.invalid,
            export_query=query.urlencode(),
            export_formats=self.export_formats,
            filtered=self.filterset.is_bound,
        )
        return context


# Each kind's list page: the rows a user may see, their table, their filters, the export's name.
LIST_PAGES = {
    "partner": (partner_list, PartnerTable, PartnerFilterSet, "concord-partners"),
    "meeting": (meeting_list, MeetingTable, MeetingFilterSet, "concord-meetings"),
    "commitment": (commitment_list, CommitmentTable, CommitmentFilterSet, "concord-commitments"),
    "complaintcount": (
        complaintcount_list,
        ComplaintCountTable,
        ComplaintCountFilterSet,
        "concord-complaints",
    ),
    "milestone": (milestone_list, MilestoneTable, MilestoneFilterSet, "concord-milestones"),
}


def record_list_view(kind: str):
    """The list page of one kind of record, from `LIST_PAGES`."""
    selector, table_class, filterset_class, export_name = LIST_PAGES[kind]
    return anonymous_page_cache(
        RecordListView.as_view(
            selector=selector,
            table_class=table_class,
            filterset_class=filterset_class,
            export_name=export_name,
            kind=kind,
        )
    )


def _record_get(getter, model, **lookup):
    """One record's detail from its selector, or a 404 that does not say whether it exists."""
    try:
        return getter(**lookup)
    except model.DoesNotExist:
        raise Http404(_("No such record, or not one you may see.")) from None


def _detail_render(request, detail, *, name: str, **extra) -> HttpResponse:
    """A record's page, `cooperation/<model>_detail.html`, with the record under `name`."""
    record = detail.record
    template = f"cooperation/{record._meta.model_name}_detail.html"
    return render(request, template, {name: record, "detail": detail, **extra})


def record_detail_view(getter, model, name: str, /):
    """The page of one kind of record, found by the URL's slug or pk, under `name`."""

    def view(request, **lookup):
        detail = _record_get(getter, model, user=request.user, **lookup)
        return _detail_render(request, detail, name=name)

    view.__name__ = f"{model._meta.model_name}_detail"
    return view


meeting_detail = record_detail_view(selectors.meeting_get, Meeting, "meeting")
commitment_detail = record_detail_view(selectors.commitment_get, Commitment, "commitment")
complaintcount_detail = record_detail_view(selectors.complaintcount_get, ComplaintCount, "count")
milestone_detail = record_detail_view(selectors.milestone_get, Milestone, "milestone")


@anonymous_page_cache
def partner_detail(request, slug):
    """A partner's profile, with its own timeline."""
    user = request.user
    partner = _record_get(selectors.partner_head, Partner, user=user, slug=slug)
    filters = selectors.TimelineFilters(partner=partner)
    page = lazy(selectors.timeline_page, user=user, filters=filters, per_page=30)
    context = {
        "partner": partner,
        "detail": lazy(selectors.partner_get, user=user, slug=slug),
        "timeline": page,
        "groups": lazy(lambda: selectors.timeline_groups(page.entries)),
        "lanes_chart": lazy(lambda: charts.timeline_lanes_chart(lane_entries(page.entries))),
        "brief": lazy(partner_brief, viewer=user, partner=partner, today=timezone.localdate()),
    }
    return render(request, "cooperation/partner_detail.html", context)


def source_detail(request, pk, cite_panel=None):
    """A source's text with the passages records cite marked, and what cites them; for editors,
    the "Cite a passage" panel (`cooperation.citing`, which gives its own when it shows the
    page again)."""
    detail = _record_get(selectors.source_get, Source, user=request.user, pk=pk)
    text = highlight_passages(detail.record.text, detail.citations + detail["updates"])
    for item in detail["citing"]:
        for passage in item.passages:
            passage.paragraph = text.paragraphs.get(passage_anchor(passage))
    panel = cite_panel or citing.panel_context(user=request.user, source=detail.record)
    return _detail_render(request, detail, name="source", highlighted=text.html, **panel)


@login_required
def account(request):
    """The signed-in user's organisations and roles: what decides which records they see."""
    user = request.user
    organisations = [
        (membership.partner, visibility.is_visible(user, membership.partner))
        for membership in user.memberships.select_related("partner")
    ]
    context = {
        "organisations": organisations,
        "roles": user.groups.order_by("name").values_list("name", flat=True),
        "sees_everything": visibility.sees_everything(user),
    }
    return render(request, "cooperation/account.html", context)


def search(request):
    """One search box across every kind of record."""
    form = SearchForm(request.GET or None)
    groups = []
    if form.is_bound and form.is_valid():
        groups = search_module.search(user=request.user, query=form.cleaned_data["q"])
    return render(request, "cooperation/search.html", {"form": form, "groups": groups})


@login_required
def import_template(request, kind: str):
    """The XLSX template of one kind of import, for those who may add such records."""
    spec = imports.KINDS.get(kind)
    if spec is None:
        raise Http404
    if not spec.may_import(request.user):
        raise PermissionDenied
    response = HttpResponse(content_type=exports.CONTENT_TYPES[exports.XLSX])
    template_write(spec, response)
    response["Content-Disposition"] = f'attachment; filename="concord-{kind}-template.xlsx"'
    return response


@require_POST
def language_set(request):
    """Django's `set_language` (the cookie, back to `next`); a signed-in user's choice is also
    saved for their next sessions."""
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        languages.language_remember(request=request, language=language)
    return response
