"""Turning a report's plain data into a PDF with WeasyPrint.

Everything the PDF needs is read from disk: the templates and their CSS, the fonts (through
fontconfig), and any static file. The URL fetcher refuses every other address, so building a
report never waits on, or leaks to, the network.
"""

import datetime
import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname
from xml.etree import ElementTree

import weasyprint.pdf
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydyf import Dictionary, String
from weasyprint import HTML
from weasyprint.pdf.metadata import NS as RDF_NAMESPACES
from weasyprint.pdf.metadata import generate_rdf_metadata
from weasyprint.pdf.stream import Stream
from weasyprint.urls import default_url_fetcher

from cooperation import charts, numerals
from cooperation.dates import format_day
from cooperation.models import Pillar, ReportKind, audience_label
from cooperation.reports.brief import brief_report_context
from cooperation.reports.summary import (
    LISTED_PARTNERS,
    LISTED_PER_PARTNER,
    LISTED_ROWS,
    MAYBE,
    PILLAR_KINDS,
    count_format,
)

FONT_DIRECTORIES = [Path("/usr/share/fonts"), Path("/usr/local/share/fonts")]


class LocalFilesOnly(ValueError):
    """A report asked for something that is not a local file."""


def local_url_fetcher(url: str, *args, **kwargs):
    """Serve data: URLs and files under the static and font directories; refuse the rest."""
    if url.startswith("data:"):
        return default_url_fetcher(url, *args, **kwargs)
    parsed = urlparse(url)
    if parsed.scheme == "file":
        path = Path(url2pathname(parsed.path)).resolve()
        roots = [Path(root).resolve() for root in settings.STATICFILES_DIRS] + FONT_DIRECTORIES
        if any(path.is_relative_to(root) for root in roots):
            return default_url_fetcher(url, *args, **kwargs)
    raise LocalFilesOnly(f"Reports read local files only; refused {url}")


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    page_count: int


# Archivable (PDF/A-3u: fonts embedded, text as Unicode) and tagged for screen readers; the
# XMP metadata claims PDF/UA-1 beside PDF/A, since WeasyPrint writes one variant's claim.
PDF_VARIANT = "pdf/a-3u"
PDF_UA_PART = "1"


def _rdf_metadata_with_pdfua(metadata, variant, version, conformance) -> bytes:
    rdf = ElementTree.fromstring(generate_rdf_metadata(metadata, variant, version, conformance))
    description = ElementTree.SubElement(rdf, f"{{{RDF_NAMESPACES['rdf']}}}Description")
    description.set(f"{{{RDF_NAMESPACES['rdf']}}}about", "")
    description.set(f"{{{RDF_NAMESPACES['pdfuaid']}}}part", PDF_UA_PART)
    return ElementTree.tostring(rdf, encoding="utf-8")


class ShapedTextStream(Stream):
    """WeasyPrint's PDF stream, giving each run of text that needs shaping its text as
    /ActualText. A font's ToUnicode map gives one text per glyph, so a glyph drawn before the
    letter it belongs to (Khmer's េ, or the subscript ្រ) or shared by two clusters would
    read back out of order; text extraction and screen readers read ActualText instead."""

    @contextmanager
    def marked(self, box, tag):
        with super().marked(box, tag):
            text = getattr(box, "text", "")
            if self._tags is not None and tag == "Span" and text and needs_shaping(text):
                self.begin_marked_content("Span", Dictionary({"ActualText": String(text)}))
                try:
                    yield
                finally:
                    self.end_marked_content()
            else:
                yield


# WeasyPrint builds its pages' streams from the name its PDF module imported.
weasyprint.pdf.Stream = ShapedTextStream


def html_to_pdf(html: str) -> RenderedPdf:
    """The PDF of a report's HTML: its title and language come from <title> and <html lang>."""
    base_url = Path(settings.BASE_DIR).as_uri() + "/"
    document = HTML(string=html, base_url=base_url, url_fetcher=local_url_fetcher).render()
    document.metadata.generate_rdf_metadata = _rdf_metadata_with_pdfua
    content = document.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True)
    return RenderedPdf(content=content, page_count=len(document.pages))


# What the lanes chart says of its marks when each stands for every entry of one kind on its
# lane in a week, a month, a quarter or a year (`summary.lane_marks_build`).
_LANE_STEP_NOTES = {
    "day": gettext_lazy("Each mark stands for every entry of its kind on its lane that day."),
    "week": gettext_lazy("Each mark stands for every entry of its kind on its lane that week."),
    "month": gettext_lazy("Each mark stands for every entry of its kind on its lane that month."),
    "quarter": gettext_lazy(
        "Each mark stands for every entry of its kind on its lane that quarter."
    ),
    "year": gettext_lazy("Each mark stands for every entry of its kind on its lane that year."),
}


def _lanes_chart(lanes: dict) -> tuple[charts.Chart, str]:
    """The lanes chart of cooperation over time, and what its caption says of its marks."""

    def day(value):
        return datetime.date.fromisoformat(value) if value else None

    if not lanes["step"]:
        # One mark per entry, as the chart draws them: it picks its lanes by their entries.
        entries = [
            charts.LaneEntry(lane, day(start), day(end), kind, lane)
            for lane, kind, start, end, n in lanes["marks"]
            for _copy in range(n)
        ]
        return charts.timeline_lanes_chart(entries), ""
    entries = [
        charts.LaneEntry(lane, day(start), day(end), kind, lane)
        for lane, kind, start, end, _n in lanes["marks"]
    ]
    chart = charts.timeline_lanes_chart(entries, max_lanes=lanes["lanes"])
    description = _("%(count)s dated entries across %(lanes)s lanes, %(first)s to %(last)s.") % {
        "count": numerals.number(lanes["entries"]),
        "lanes": numerals.number(lanes["lanes"]),
        "first": format_day(day(lanes["first"])),
        "last": format_day(day(lanes["last"])),
    }
    chart.description = description
    return chart, str(_LANE_STEP_NOTES[lanes["step"]])


# Bars or rows one chart draws at most: the latest periods, the partners that met most.
CHART_ROWS = 20


def _complaint_bars(rows: list[dict]) -> tuple[list[tuple], int]:
    """One bar per period, adding up the counts of partners that share it; the latest
    CHART_ROWS periods, and how many earlier ones were left out."""
    totals: dict[str, list] = {}
    for row in rows:
        total = totals.setdefault(row["label"], [row["label"], 0, None])
        total[1] += row["count"]
        if row["verified"] is not None:
            total[2] = (total[2] or 0) + row["verified"]
    bars = [tuple(total) for total in totals.values()]
    return bars[-CHART_ROWS:], max(0, len(bars) - CHART_ROWS)


def _busiest_partners(per_partner: dict[str, dict[int, int]]) -> tuple[list[tuple], int]:
    """(partner, year, meetings) for the CHART_ROWS partners that met most, and how many
    other partners were left out."""
    busiest = sorted(per_partner, key=lambda name: (-sum(per_partner[name].values()), name))
    kept = sorted(busiest[:CHART_ROWS])
    cells = [(name, year, count) for name in kept for year, count in per_partner[name].items()]
    return cells, max(0, len(busiest) - CHART_ROWS)


# The charts are drawn in DejaVu Sans, as on the pages; the PDF draws them in its own text
# font, so that it embeds two font faces fewer: subsetting each face takes a good part of a
# build's time.
PDF_CHART_FONT = "Noto Sans, DejaVu Sans, sans-serif"


def _in_pdf_font(svg: str) -> str:
    return svg.replace(f'font-family="{charts.FONT}"', f'font-family="{PDF_CHART_FONT}"', 1)


# WeasyPrint draws SVG text one character at a time, which breaks scripts whose letters join
# and reorder (Khmer's stacked consonants and vowel signs). A chart's text in such a script is
# taken out of the SVG and laid over it as HTML, which Pango shapes like the rest of the page.
SVG_TEXT = re.compile(
    r'<text x="(?P<x>[-\d.]+)" y="(?P<y>[-\d.]+)" font-size="(?P<size>[\d.]+)" '
    r'text-anchor="(?P<anchor>start|middle|end)" fill="(?P<fill>[^"]*)" '
    r'font-weight="(?P<weight>[^"]*)"(?: transform="rotate\((?P<angle>[-\d.]+)[^"]*\)")?'
    r"[^>]*>(?P<text>[^<]*)</text>"
)
ANCHOR_PERCENT = {"start": 0, "middle": 50, "end": 100}
# How far above its baseline a label's box starts, as a share of its font size.
LABEL_ASCENT = 0.78


def needs_shaping(text: str) -> bool:
    """Whether a text holds letters that only a shaping engine draws right: combining marks."""
    return any(unicodedata.category(character) in ("Mn", "Mc") for character in text)


def svg_labels_as_html(svg: str, width_mm: float) -> tuple[str, str]:
    """The chart's SVG without the texts that need shaping, and those texts as HTML placed at
    the same points of a box `width_mm` wide (the SVG's own box)."""
    size = VIEWBOX.search(svg)
    if size is None:
        return svg, ""
    view_width = float(size.group(1))
    mm_per_unit = width_mm / view_width
    labels = []

    def lift(match: re.Match) -> str:
        if not needs_shaping(unescape(match["text"])):
            return match[0]
        font_mm = float(match["size"]) * mm_per_unit
        shift = ANCHOR_PERCENT[match["anchor"]]
        transform = f"translateX(-{shift}%)" + (
            f" rotate({match['angle']}deg)" if match["angle"] else ""
        )
        left = float(match["x"]) / view_width * 100
        top_mm = float(match["y"]) * mm_per_unit - LABEL_ASCENT * font_mm
        labels.append(
            f'<span class="chart-label" style="left: {left:.2f}%; top: {top_mm:.2f}mm; '
            f"font-size: {font_mm:.2f}mm; color: {match['fill']}; "
            f"font-weight: {match['weight']}; transform: {transform}; "
            f'transform-origin: {shift}% {LABEL_ASCENT * font_mm:.2f}mm">{match["text"]}</span>'
        )
        return ""

    return SVG_TEXT.sub(lift, svg), "".join(labels)


def report_charts(data: dict) -> list[dict]:
    """The report's charts as inline SVG, drawn by the same code as the pages' charts."""
    chart_data = data["chart_data"]
    complaint_bars, earlier_periods = _complaint_bars(chart_data["complaints"])
    partner_cells, other_partners = _busiest_partners(chart_data["meetings_per_partner_year"])
    drawn = [
        _lanes_chart(chart_data["lanes"]),
        (
            charts.complaints_per_period_chart(
                complaint_bars,
                excluded=sum(bar.get("below", 0) for bar in chart_data["complaints"][-CHART_ROWS:]),
            ),
            _("Only the %(n)s latest periods are drawn; %(more)s earlier ones are not.")
            % {"n": numerals.number(CHART_ROWS), "more": numerals.number(earlier_periods)}
            if earlier_periods
            else "",
        ),
        (
            charts.commitments_by_status_chart(
                [(row["label"], row["count"]) for row in chart_data["commitments_by_status"]]
            ),
            "",
        ),
        (
            charts.meetings_per_partner_year_chart(partner_cells),
            _("Only the %(n)s partners that met most are drawn; %(more)s others are not.")
            % {"n": numerals.number(CHART_ROWS), "more": numerals.number(other_partners)}
            if other_partners
            else "",
        ),
    ]
    listed = []
    for chart, note in drawn:
        if chart.empty:
            continue
        width_mm = _natural_width_mm(chart.svg)
        svg, labels = svg_labels_as_html(_in_pdf_font(chart.svg), width_mm)
        listed.append(
            {
                "svg": svg,
                "labels": labels,
                "title": chart.title,
                "caption": f"{chart.description} {note}".strip(),
                "width_mm": width_mm,
            }
        )
    return listed


VIEWBOX = re.compile(r'viewBox="[\d.]+ [\d.]+ ([\d.]+) [\d.]+"')
TEXT_WIDTH_MM = 176


def _natural_width_mm(svg: str) -> int:
    """The chart's width at its drawn size (CSS pixels), capped at the text width, so a
    narrow chart is not blown up to fill the page."""
    match = VIEWBOX.search(svg)
    if not match:
        return TEXT_WIDTH_MM
    return min(TEXT_WIDTH_MM, round(float(match.group(1)) * 25.4 / 96))


# The cover's figures, by headline key: a dossier's, then a period report's; both end alike.
_SHARED_FIGURES = [
    ("complaints", gettext_lazy("Complaints received")),
    ("verified_share", gettext_lazy("Found true")),
]
_FIGURES = {
    ReportKind.DOSSIER: [
        ("meetings", gettext_lazy("Meetings")),
        ("commitments_open", gettext_lazy("Open commitments")),
        ("commitments_fulfilled", gettext_lazy("Fulfilled commitments")),
        ("commitments_overdue", gettext_lazy("Overdue commitments")),
        ("milestones", gettext_lazy("Milestones")),
        ("quotes", gettext_lazy("Quotes")),
    ],
    None: [
        ("meetings", gettext_lazy("Meetings")),
        ("partners", gettext_lazy("Partners involved")),
        ("commitments_made", gettext_lazy("Commitments made")),
        ("commitments_changed", gettext_lazy("Status changes")),
        ("commitments_fulfilled", gettext_lazy("Commitments fulfilled")),
        ("commitments_overdue", gettext_lazy("Overdue at period end")),
    ],
}  # fmt: skip


def _figures(kind: str, headline: dict) -> list[dict]:
    """The cover's figures; overdue commitments stand out when there are any."""
    rows = _FIGURES[ReportKind.DOSSIER if kind == ReportKind.DOSSIER else None]
    return [
        {
            "value": headline[key] if headline[key] != "" else "—",
            "label": str(label),
            "alert": key == "commitments_overdue" and headline[key] > 0,
            "note": headline.get(f"{key}_note", ""),  # what a public report's sum leaves out
        }
        for key, label in [*rows, *_SHARED_FIGURES]
    ]


def _titles(kind: str, data: dict) -> tuple[str, str, str]:
    """The cover's kind line, title and subtitle."""
    subject = data["subject"]
    if kind == ReportKind.DOSSIER:
        if subject["whole_record"]:
            subtitle = _("The whole record, as of %(day)s") % {"day": subject["judged_on"]}
        else:
            subtitle = subject["period_label"]
        return _("Partner dossier"), subject["partner"], subtitle
    if kind == ReportKind.MONTHLY:
        return _("Monthly report"), subject["period_label"], _("Cooperation against trafficking")
    return _("Report for a period"), subject["period_label"], _("Cooperation against trafficking")


class Listed(list):
    """The first rows of a section, and how many more were left out (`more`): of `total`
    when the section has more rows than it was given."""

    def __init__(self, rows, limit: int, total: int | None = None):
        rows = list(rows)
        super().__init__(rows[:limit])
        self.more = max(0, (len(rows) if total is None else total) - len(self))

    @property
    def more_display(self) -> str:
        return count_format(self.more)


def _pillar_rows(rows: list[dict]) -> list[dict]:
    """The coverage section's rows, each pillar named, then a row of totals."""
    named = [
        {**row, "label": Pillar(row["code"]).label if row["code"] else _("Not classified")}
        for row in rows
    ]
    if not named:
        return []
    totals = {key: sum(row[key] for row in rows) for key in (*PILLAR_KINDS, "total")}
    return [*named, {"code": "all", "label": _("All"), "is_total": True, **totals}]


def _listed_partner(section: dict) -> dict:
    lists = (
        "meetings",
        "commitments_made",
        "commitments_received",
        "complaints",
        "milestones",
        "quotes",
    )
    counted = section.get("counted", {})
    return {
        **section,
        **{
            key: Listed(section.get(key, []), LISTED_PER_PARTNER, counted.get(key)) for key in lists
        },
    }


def report_context(
    *,
    kind: str,
    data: dict,
    digest: str,
    report_id: int | None,
    generated_at: datetime.datetime,
) -> dict:
    """Everything the PDF templates read."""
    if kind == ReportKind.BRIEF:
        return brief_report_context(
            data=data, digest=digest, report_id=report_id, generated_at=generated_at
        )
    subject = data["subject"]
    kind_label, title, subtitle = _titles(kind, data)
    counted = data.get("counted", {})

    def listed(key):
        return Listed(data[key], LISTED_ROWS, counted.get(key))

    context = {
        **data,
        "language": translation.get_language(),
        "kind": kind,
        "kind_label": kind_label,
        "title": title,
        "subtitle": subtitle,
        "period_text": _("whole record, to %(day)s") % {"day": subject["judged_on"]}
        if subject["whole_record"]
        else subject["period_label"],
        "audience_label": audience_label(subject["audience"], subject.get("organisation", "")),
        "generated_display": numerals.native_digits(
            formats.date_format(timezone.localtime(generated_at), "j F Y, H:i T")
        ),
        "generated_iso": generated_at.isoformat(),
        "report_id": report_id,
        "data_hash": digest,
        "figures": _figures(kind, data["headline"]),
        "charts": report_charts(data),
        "has_maybe": any(e["placement"] == MAYBE for e in data["timeline"]),
        "timeline": listed("timeline"),
        "meetings": listed("meetings"),
        "complaints": listed("complaints"),
        "quotes": listed("quotes"),
    }
    if kind == ReportKind.DOSSIER:
        for key in ("commitments_by", "commitments_to", "history"):
            context[key] = listed(key)
        contents = [
            ("profile", _("Profile")),
            ("timeline", _("Timeline")),
            ("meetings", _("Meetings")),
            ("commitments", _("Commitments")),
        ]
        if data["complaints"]:
            contents.append(("complaints", _("Complaint statistics")))
        contents.append(("quotes", _("Quotes")))
        template = "reports/pdf/dossier.html"
    else:
        context["undated_total"] = sum(data["undated"].values())
        for key in ("updates", "updates_fulfilled", "commitments_new", "commitments_overdue"):
            context[key] = listed(key)
        context["partners"] = Listed(
            map(_listed_partner, data["partners"]), LISTED_PARTNERS, counted.get("partners")
        )
        contents = [
            ("summary", _("In brief")),
            ("timeline", _("Timeline")),
            ("meetings", _("Meetings")),
            ("commitments", _("Commitments")),
            ("complaints", _("Complaint statistics")),
            ("coverage", _("Action-plan coverage")),
            ("partners", _("Partners")),
        ]
        context["pillar_rows"] = _pillar_rows(data.get("pillars", []))
        template = "reports/pdf/report.html"
    contents.append(("sources", _("Sources")))
    context["contents"] = contents
    context["template_name"] = template
    return context


def report_pdf_render(
    *,
    kind: str,
    data: dict,
    digest: str,
    report_id: int | None = None,
    generated_at: datetime.datetime | None = None,
) -> RenderedPdf:
    """Render one report's data as a PDF, in the active language."""
    context = report_context(
        kind=kind,
        data=data,
        digest=digest,
        report_id=report_id,
        generated_at=generated_at or timezone.now(),
    )
    html = render_to_string(context["template_name"], context)
    return html_to_pdf(html)
