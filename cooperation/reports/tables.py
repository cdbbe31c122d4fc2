"""The report list as a django-tables2 table."""

import django_tables2 as tables
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cooperation import numerals
from cooperation.dates import format_moment
from cooperation.models import Report, ReportStatus


class ReportTable(tables.Table):
    report = tables.Column(
        verbose_name=_("Report"), accessor="pk", linkify=True, order_by=("period_start",)
    )
    period = tables.Column(verbose_name=_("Period"), accessor="period_start")
    kind = tables.Column(verbose_name=_("Kind"))
    audience = tables.Column(verbose_name=_("Audience"))
    language = tables.Column(verbose_name=_("Language"))
    status = tables.Column(verbose_name=_("Status"))
    created_at = tables.Column(verbose_name=_("Asked for"))
    page_count = tables.Column(verbose_name=_("Pages"), attrs={"td": {"class": "num"}})
    size = tables.Column(verbose_name=_("Size"), attrs={"td": {"class": "num"}})
    download = tables.Column(
        verbose_name=_("Download"), accessor="pk", orderable=False, empty_values=()
    )

    class Meta:
        model = Report
        fields = [
            "report",
            "period",
            "kind",
            "audience",
            "language",
            "status",
            "created_at",
            "page_count",
            "size",
            "download",
        ]
        order_by = ("-created_at",)
        attrs = {"class": "table reports"}
        empty_text = _("No report yet.")

    def render_report(self, record):
        return record.title

    def render_audience(self, record):
        return record.audience_display

    def render_period(self, record):
        return record.period_display

    def render_status(self, record):
        return format_html(
            '<span class="status status-{}">{}</span>', record.status, record.get_status_display()
        )

    def render_size(self, value):
        return numerals.native_digits(filesizeformat(value))

    def render_created_at(self, value):
        return format_moment(value)

    def value_created_at(self, value):
        return value.isoformat()

    def render_page_count(self, value):
        return numerals.number(value)

    def render_download(self, record):
        if record.status != ReportStatus.READY:
            return "—"
        return format_html(
            '<a href="{}" download>{}</a>',
            reverse("cooperation:report-download", args=[record.pk]),
            _("PDF"),
        )
