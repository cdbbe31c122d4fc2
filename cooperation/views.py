"""The browsing pages. Views stay thin: parse the request, call selectors, render."""

from django.core.paginator import EmptyPage, PageNotAnInteger
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin
from django_tables2.export import TableExport

from cooperation import charts, filtersets, selectors, tables
from cooperation import search as search_module
from cooperation.forms import SearchForm, TimelineFilterForm, page_number
from cooperation.highlight import highlight_passages, passage_anchor
from cooperation.models import Commitment, ComplaintCount, Meeting, Milestone, Partner, Source

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


def dashboard(request):
    user = request.user
    context = {
        "figures": selectors.dashboard_figures(user=user),
        "latest": selectors.timeline_latest(user=user, limit=8),
        "complaints_chart": charts.complaints_per_period_chart(
            selectors.complaints_per_period(user=user)
        ),
        "status_chart": charts.commitments_by_status_chart(
            selectors.commitments_by_status(user=user)
        ),
        "meetings_chart": charts.meetings_per_partner_year_chart(
            selectors.meetings_per_partner_year(user=user)
        ),
    }
    return render(request, "cooperation/dashboard.html", context)


def timeline(request):
    form = TimelineFilterForm(request.GET or None, user=request.user)
    if form.is_bound and not form.is_valid():
        page = selectors.TimelinePage(entries=[], number=1, num_pages=1, count=0)
    else:
        page = selectors.timeline_page(
            user=request.user, filters=form.to_filters(), page=page_number(request.GET.get("page"))
        )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "groups": selectors.timeline_groups(page.entries),
        "lanes_chart": charts.timeline_lanes_chart(lane_entries(page.entries)),
        "query": query.urlencode(),
    }
    return render(request, "cooperation/timeline.html", context)


class RecordListView(SingleTableMixin, FilterView):
    """A table of one kind of record with filters, sorting, pages and CSV/Excel export.

    Malformed filters give the page with the form's messages and no rows (never a
    guess at what was meant); the export of such a request gives the page too.
    """

    export_formats = (TableExport.CSV, TableExport.XLSX)
    export_name = "concord"
    selector = None

    def get_queryset(self):
        return type(self).selector(user=self.request.user)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        data = self.request.GET.copy()
        for key in ("page", "per_page", "sort", "_export"):
            data.pop(key, None)
        kwargs["data"] = data or None
        return kwargs

    def get_table(self, **kwargs):
        table = self.get_table_class()(data=self.get_table_data(), **kwargs)
        RequestConfig(self.request, paginate=False).configure(table)
        if getattr(self, "exporting", False):
            return table
        per_page = min(page_number(self.request.GET.get("per_page"), PER_PAGE), MAX_PER_PAGE)
        try:
            table.paginate(page=page_number(self.request.GET.get("page")), per_page=per_page)
        except (EmptyPage, PageNotAnInteger):
            table.paginate(page=table.paginator.num_pages, per_page=per_page)
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
            exporter = TableExport(export_format, self.get_table())
            return exporter.response(filename=f"{self.export_name}.{export_format}")
        context = self.get_context_data(filter=self.filterset, object_list=self.object_list)
        return self.render_to_response(context)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
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


class PartnerListView(RecordListView):
    selector = selectors.partner_list
    table_class = tables.PartnerTable
    filterset_class = filtersets.PartnerFilterSet
    template_name = "cooperation/partner_list.html"
    export_name = "concord-partners"


class MeetingListView(RecordListView):
    selector = selectors.meeting_list
    table_class = tables.MeetingTable
    filterset_class = filtersets.MeetingFilterSet
    template_name = "cooperation/meeting_list.html"
    export_name = "concord-meetings"


class CommitmentListView(RecordListView):
    selector = selectors.commitment_list
    table_class = tables.CommitmentTable
    filterset_class = filtersets.CommitmentFilterSet
    template_name = "cooperation/commitment_list.html"
    export_name = "concord-commitments"


class ComplaintCountListView(RecordListView):
    selector = selectors.complaintcount_list
    table_class = tables.ComplaintCountTable
    filterset_class = filtersets.ComplaintCountFilterSet
    template_name = "cooperation/complaintcount_list.html"
    export_name = "concord-complaints"


class MilestoneListView(RecordListView):
    selector = selectors.milestone_list
    table_class = tables.MilestoneTable
    filterset_class = filtersets.MilestoneFilterSet
    template_name = "cooperation/milestone_list.html"
    export_name = "concord-milestones"


def _get_or_404(getter, model, **lookup):
    try:
        return getter(**lookup)
    except model.DoesNotExist:
        raise Http404(_("No such record, or not one you may see.")) from None


def partner_detail(request, slug):
    detail = _get_or_404(selectors.partner_get, Partner, user=request.user, slug=slug)
    partner = detail.record
    filters = selectors.TimelineFilters(partner=partner)
    page = selectors.timeline_page(user=request.user, filters=filters, per_page=30)
    context = {
        "partner": partner,
        "detail": detail,
        "timeline": page,
        "groups": selectors.timeline_groups(page.entries),
        "lanes_chart": charts.timeline_lanes_chart(lane_entries(page.entries)),
    }
    return render(request, "cooperation/partner_detail.html", context)


def meeting_detail(request, slug):
    detail = _get_or_404(selectors.meeting_get, Meeting, user=request.user, slug=slug)
    return render(
        request, "cooperation/meeting_detail.html", {"meeting": detail.record, "detail": detail}
    )


def commitment_detail(request, pk):
    detail = _get_or_404(selectors.commitment_get, Commitment, user=request.user, pk=pk)
    return render(
        request,
        "cooperation/commitment_detail.html",
        {"commitment": detail.record, "detail": detail},
    )


def complaintcount_detail(request, pk):
    detail = _get_or_404(selectors.complaintcount_get, ComplaintCount, user=request.user, pk=pk)
    return render(
        request,
        "cooperation/complaintcount_detail.html",
        {"count": detail.record, "detail": detail},
    )


def milestone_detail(request, slug):
    detail = _get_or_404(selectors.milestone_get, Milestone, user=request.user, slug=slug)
    return render(
        request,
        "cooperation/milestone_detail.html",
        {"milestone": detail.record, "detail": detail},
    )


def source_detail(request, pk):
    detail = _get_or_404(selectors.source_get, Source, user=request.user, pk=pk)
    text = highlight_passages(detail.record.text, detail.citations + detail["updates"])
    for item in detail["citing"]:
        for passage in item.passages:
            passage.paragraph = text.paragraphs.get(passage_anchor(passage))
    return render(
        request,
        "cooperation/source_detail.html",
        {"source": detail.record, "detail": detail, "highlighted": text.html},
    )


def search(request):
    form = SearchForm(request.GET or None)
    groups = []
    if form.is_bound and form.is_valid():
        groups = search_module.search(user=request.user, query=form.cleaned_data["q"])
    return render(request, "cooperation/search.html", {"form": form, "groups": groups})
