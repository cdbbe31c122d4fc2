"""Charts drawn on the server as SVG, for the pages and the PDF reports alike.

Every function takes plain Python data, knows nothing of requests or users, and
returns a `Chart`: `.svg` (inline SVG markup with <title> and <desc>, axis labels,
all text escaped, no style attributes so it passes the Content Security Policy and
renders in WeasyPrint), `.columns` and `.rows` (the same numbers as a table, the
text alternative), and `.html()` (the SVG in a <figure> with that table beneath,
which is what `{{ chart }}` renders in a template).

- `complaints_per_period_chart(rows)`: rows of (period label, complaints,
  complaints found true or None). Horizontal bars, found-true share inside.
- `commitments_by_status_chart(rows)`: rows of (status label, count).
- `meetings_per_partner_year_chart(rows)`: rows of (partner, year, meetings);
  a grid with one row per partner and one column per year.
- `timeline_lanes_chart(entries)`: `LaneEntry`s (lane, start, end, kind, label,
  url); a time axis with one lane per partner. Entries without a date are left
  out and counted in the description.

Feed them with `cooperation.selectors.complaints_per_period`,
`commitments_by_status`, `meetings_per_partner_year` and `timeline_page`.
"""

from __future__ import annotations

import datetime
import itertools
import math
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from cooperation import small_counts
from cooperation.dates import format_day, format_month_name
from cooperation.numerals import native_digits, number

FONT = "DejaVu Sans, Noto Sans, Helvetica, Arial, sans-serif"
INK = "#1d2733"
MUTED = "#5b6672"
GRID = "#d9dee4"
BAR = "#2f6690"
BAR_DARK = "#16425b"
KIND_COLOURS = {
    "meeting": "#2f6690",
    "commitment": "#b45309",
    "update": "#7c3aed",
    "milestone": "#2e7d32",
    "complaints": "#9f1239",
}
_ids = itertools.count(1)


@dataclass
class Chart:
    """An SVG chart and the same data as a table."""

    title: str
    description: str
    svg: SafeString
    columns: list[str]
    rows: list[tuple] = field(default_factory=list)
    empty: bool = False
    note: str = ""  # shown under the chart: what its figures leave out

    def table_html(self) -> SafeString:
        head = format_html_join("", '<th scope="col">{}</th>', ((c,) for c in self.columns))
        body = format_html_join(
            "",
            "<tr>{}</tr>",
            (
                (format_html_join("", "<td>{}</td>", ((_cell(v),) for v in row)),)
                for row in self.rows
            ),
        )
        return format_html(
            '<table class="table chart-data"><caption>{}</caption><thead><tr>{}</tr></thead>'
            "<tbody>{}</tbody></table>",
            self.title,
            head,
            body,
        )

    def html(self) -> SafeString:
        if self.empty:
            return format_html(
                '<figure class="chart chart-empty"><figcaption>{}</figcaption><p>{}</p></figure>',
                self.title,
                self.description,
            )
        return format_html(
            # The chart scrolls sideways on a phone: a keyboard reaches it to scroll it.
            '<figure class="chart"><figcaption>{}</figcaption>'
            '<div class="chart-scroll" role="region" aria-label="{}" tabindex="0">{}</div>'
            "{}<details><summary>{}</summary>{}</details></figure>",
            self.title,
            self.title,
            self.svg,
            format_html('<p class="chart-note muted small">{}</p>', capfirst(self.note))
            if self.note
            else "",
            _("Show the data as a table"),
            self.table_html(),
        )

    __html__ = html

    def __str__(self):
        return self.html()


def _cell(value) -> str:
    """A cell of the data table: text as given (labels may be record titles), numbers and
    years in the reader's digits."""
    if value is None:
        return "—"
    return value if isinstance(value, str) else native_digits(value)


def _n(value: float) -> str:
    """A coordinate, short and locale-free."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(x, y, text, *, size=12, anchor="start", fill=INK, weight="normal", extra="") -> str:
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{fill}" font-weight="{weight}"{extra}>{escape(text)}</text>'
    )


def _svg(
    width: float, height: float, title: str, description: str, body: list[str], *, links=False
) -> SafeString:
    """The chart's SVG: a picture, or with `links` a group of them (a picture may not hold
    links a keyboard can reach)."""
    uid = f"chart-{next(_ids)}"
    role = "group" if links else "img"
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" role="{role}" '
        f'aria-labelledby="{uid}-title {uid}-desc" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'width="{_n(width)}" height="{_n(height)}" preserveAspectRatio="xMinYMin meet" '
        f'font-family="{FONT}" class="chart-svg">'
        f'<title id="{uid}-title">{escape(title)}</title>'
        f'<desc id="{uid}-desc">{escape(description)}</desc>' + "".join(body) + "</svg>"
    )


def nice_ticks(maximum: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least `maximum`: steps of 1, 2 or 5 times a power of ten."""
    if maximum <= 0:
        return [0, 1]
    raw = maximum / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(round(step), 1)  # counts: whole-number ticks only
    ticks = [0]
    while ticks[-1] < maximum:
        ticks.append(ticks[-1] + step)
    return ticks


LEGEND_ROW = 18


def _letters(text: str) -> int:
    """How many letters wide a text is drawn: marks that sit on a letter (Khmer's vowel signs
    and subscripts, French accents written apart) take no width of their own."""
    return sum(1 for character in str(text) if unicodedata.category(character) not in ("Mn", "Mc"))


def _truncate(text: str, length: int) -> str:
    text = str(text)
    return text if len(text) <= length else text[: length - 1] + "…"


def _horizontal_bars(
    *,
    title: str,
    description: str,
    value_label: str,
    category_label: str,
    rows: Sequence[tuple[str, int, int | None]],
    inner_label: str | None = None,
) -> SafeString:
    label_width, right, top, bar_height, gap = 240, 56, 16, 22, 10
    plot_width = 300
    width = label_width + plot_width + right
    maximum = max((row[1] for row in rows), default=0)
    ticks = nice_ticks(maximum)
    scale = plot_width / ticks[-1]
    plot_height = len(rows) * (bar_height + gap)
    height = top + plot_height + 64 + (22 if inner_label else 0)
    body = []
    for tick in ticks:
        x = label_width + tick * scale
        body.append(
            f'<line x1="{_n(x)}" y1="{top}" x2="{_n(x)}" y2="{_n(top + plot_height)}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(
            _text(x, top + plot_height + 16, number(tick), size=11, anchor="middle", fill=MUTED)
        )
    for index, (label, value, inner) in enumerate(rows):
        y = top + index * (bar_height + gap) + gap / 2
        body.append(
            _text(label_width - 8, y + bar_height / 2 + 4, _truncate(label, 30), anchor="end")
        )
        body.append(
            f'<rect x="{label_width}" y="{_n(y)}" width="{_n(value * scale)}" '
            f'height="{bar_height}" fill="{BAR}" rx="2"/>'
        )
        if inner is not None:
            body.append(
                f'<rect x="{label_width}" y="{_n(y + 5)}" width="{_n(inner * scale)}" '
                f'height="{bar_height - 10}" fill="{BAR_DARK}" rx="1"/>'
            )
        body.append(
            _text(
                label_width + value * scale + 6,
                y + bar_height / 2 + 4,
                number(value),
                weight="bold",
            )
        )
    axis_y = top + plot_height
    body.append(
        f'<line x1="{label_width}" y1="{top}" x2="{label_width}" y2="{_n(axis_y)}" stroke="{MUTED}"/>'
    )
    body.append(
        _text(
            label_width + plot_width / 2,
            axis_y + 36,
            value_label,
            size=12,
            anchor="middle",
            fill=MUTED,
        )
    )
    body.append(
        _text(12, top + plot_height / 2, category_label, size=12, anchor="middle", fill=MUTED,
              extra=f' transform="rotate(-90 12 {_n(top + plot_height / 2)})"')
    )  # fmt: skip
    if inner_label:
        legend_y = axis_y + 56
        body.append(
            f'<rect x="{label_width}" y="{_n(legend_y - 10)}" width="14" height="12" fill="{BAR}"/>'
        )
        body.append(_text(label_width + 20, legend_y, value_label, size=11))
        body.append(
            f'<rect x="{label_width + 150}" y="{_n(legend_y - 10)}" width="14" height="12" fill="{BAR_DARK}"/>'
        )
        body.append(_text(label_width + 170, legend_y, inner_label, size=11))
    return _svg(width, height, title, description, body)


def complaints_per_period_chart(
    rows: Sequence[tuple[str, int, int | None]], excluded: int = 0
) -> Chart:
    """Complaints received per period, with those found true inside each bar when known;
    `excluded` figures below PUBLIC_MIN_COUNT left out of the sums are said in a note."""
    rows = [
        (str(label), int(count), None if true is None else int(true)) for label, count, true in rows
    ]
    title = _("Complaints received per period")
    columns = [_("Period"), _("Complaints"), _("Found true")]
    if not rows:
        return Chart(
            title, _("No complaint figures recorded yet."), mark_safe(""), columns, [], True
        )
    total = sum(r[1] for r in rows)
    description = _(
        "%(periods)s periods, %(total)s complaints in all. Latest: %(label)s, %(count)s complaints."
    ) % {
        "periods": number(len(rows)),
        "total": number(total),
        "label": rows[-1][0],
        "count": number(rows[-1][1]),
    }
    note = small_counts.excluded_note(excluded)
    if note:
        description = f"{description} ({note})"
    svg = _horizontal_bars(
        title=title,
        description=description,
        value_label=_("Complaints"),
        category_label=_("Period"),
        rows=rows,
        inner_label=_("Found true") if any(r[2] is not None for r in rows) else None,
    )
    return Chart(title, description, svg, columns, rows, note=note)


def commitments_by_status_chart(rows: Sequence[tuple[str, int]]) -> Chart:
    """How many commitments stand at each status."""
    rows = [(str(label), int(count)) for label, count in rows]
    title = _("Commitments by status")
    columns = [_("Status"), _("Commitments")]
    total = sum(r[1] for r in rows)
    if not total:
        return Chart(title, _("No commitments recorded yet."), mark_safe(""), columns, rows, True)
    description = _("%(total)s commitments: %(parts)s.") % {
        "total": number(total),
        "parts": ", ".join(f"{label} {number(count)}" for label, count in rows),
    }
    svg = _horizontal_bars(
        title=title,
        description=description,
        value_label=_("Commitments"),
        category_label=_("Status"),
        rows=[(label, count, None) for label, count in rows],
    )
    return Chart(title, description, svg, columns, rows)


def _shade(value: int, maximum: int) -> str:
    """A blue from pale to deep by share of the maximum."""
    if value <= 0 or maximum <= 0:
        return "#f3f5f7"
    t = 0.25 + 0.75 * value / maximum
    start, end = (0xE3, 0xEE, 0xF6), (0x16, 0x42, 0x5B)
    return "#" + "".join(f"{round(a + (b - a) * t):02x}" for a, b in zip(start, end, strict=True))


def meetings_per_partner_year_chart(rows: Sequence[tuple[str, int, int]]) -> Chart:
    """Meetings per partner and year, as a grid of shaded cells with the number in each."""
    rows = [(str(partner), int(year), int(count)) for partner, year, count in rows]
    title = _("Meetings per partner per year")
    columns = [_("Partner"), _("Year"), _("Meetings")]
    if not rows:
        return Chart(title, _("No dated meetings recorded yet."), mark_safe(""), columns, [], True)
    partners = list(dict.fromkeys(r[0] for r in rows))
    years = sorted({r[1] for r in rows})
    counts = {(p, y): c for p, y, c in rows}
    maximum = max(counts.values())
    label_width, top, cell_w, cell_h = 200, 34, 64, 30
    width = max(label_width + cell_w * len(years) + 16, 420)
    height = top + cell_h * len(partners) + 40
    description = _("%(meetings)s meetings of %(partners)s partners, %(first)s to %(last)s.") % {
        "meetings": number(sum(counts.values())),
        "partners": number(len(partners)),
        "first": native_digits(years[0]),
        "last": native_digits(years[-1]),
    }
    body = [
        _text(
            label_width + cell_w * len(years) / 2,
            12,
            _("Year"),
            size=12,
            anchor="middle",
            fill=MUTED,
        )
    ]
    for j, year in enumerate(years):
        body.append(
            _text(
                label_width + j * cell_w + cell_w / 2,
                top - 6,
                native_digits(year),
                size=12,
                anchor="middle",
            )
        )
    for i, partner in enumerate(partners):
        y = top + i * cell_h
        body.append(
            _text(label_width - 8, y + cell_h / 2 + 4, _truncate(partner, 28), anchor="end")
        )
        for j, year in enumerate(years):
            value = counts.get((partner, year), 0)
            x = label_width + j * cell_w
            body.append(
                f'<rect x="{_n(x + 1)}" y="{_n(y + 1)}" width="{cell_w - 2}" height="{cell_h - 2}" '
                f'fill="{_shade(value, maximum)}" rx="2"/>'
            )
            colour = "#ffffff" if value and value / maximum > 0.45 else INK
            body.append(
                _text(
                    x + cell_w / 2,
                    y + cell_h / 2 + 4,
                    number(value) if value else "·",
                    anchor="middle",
                    fill=colour,
                )
            )
    body.append(_text(12, top + cell_h * len(partners) / 2, _("Partner"), size=12, anchor="middle", fill=MUTED,
                      extra=f' transform="rotate(-90 12 {_n(top + cell_h * len(partners) / 2)})"'))  # fmt: skip
    body.append(
        _text(label_width, height - 10, _("Darker cells: more meetings."), size=11, fill=MUTED)
    )
    table_rows = [(p, y, counts.get((p, y), 0)) for p in partners for y in years]
    return Chart(
        title, description, _svg(width, height, title, description, body), columns, table_rows
    )


class LaneEntry(NamedTuple):
    """One mark on the lanes chart. `end` is set for periods (complaint figures)."""

    lane: str
    start: datetime.date | None
    end: datetime.date | None
    kind: str
    label: str
    url: str | None = None


def _marker(kind: str, x: float, y: float) -> str:
    colour = KIND_COLOURS.get(kind, INK)
    if kind == "commitment":
        return f'<path d="M{_n(x)} {_n(y - 7)} L{_n(x + 7)} {_n(y)} L{_n(x)} {_n(y + 7)} L{_n(x - 7)} {_n(y)} Z" fill="{colour}"/>'
    if kind == "update":
        return f'<path d="M{_n(x)} {_n(y - 7)} L{_n(x + 6)} {_n(y + 5)} L{_n(x - 6)} {_n(y + 5)} Z" fill="{colour}"/>'
    if kind == "milestone":
        return f'<rect x="{_n(x - 6)}" y="{_n(y - 6)}" width="12" height="12" fill="{colour}"/>'
    return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="6" fill="{colour}" stroke="#ffffff" stroke-width="1.5"/>'


def _axis_ticks(start: datetime.date, end: datetime.date) -> list[tuple[datetime.date, str]]:
    """Year ticks for long spans, month ticks for short ones."""
    span = (end - start).days
    ticks = []
    if span > 730:
        for year in range(start.year + (start.month > 1 or start.day > 1), end.year + 1):
            ticks.append((datetime.date(year, 1, 1), native_digits(year)))
        return ticks
    step = 1 if span <= 200 else 3
    year, month = start.year, start.month
    while True:
        month += 1
        if month > 12:
            year, month = year + 1, 1
        day = datetime.date(year, month, 1)
        if day > end:
            break
        if (month - 1) % step == 0:
            label = native_digits(year) if month == 1 else format_month_name(day)
            ticks.append((day, label))
    return ticks


def timeline_lanes_chart(entries: Sequence[LaneEntry], *, max_lanes: int = 10) -> Chart:
    """A time axis with one lane per partner and a mark per event (shape and colour by kind)."""
    title = _("Cooperation over time, one lane per partner")
    columns = [_("Partner"), _("Date"), _("Kind"), _("Entry")]
    dated = [e for e in entries if e.start is not None]
    skipped = len(entries) - len(dated)
    if not dated:
        return Chart(title, _("No dated entries to draw."), mark_safe(""), columns, [], True)
    busiest = [lane for lane, _count in Counter(e.lane for e in dated).most_common()]
    lanes = busiest[:max_lanes]
    other = _("Other partners")
    if len(busiest) > max_lanes:
        lanes.append(other)
    lane_of = {lane: lane if lane in lanes[:max_lanes] else other for lane in busiest}
    first = min(e.start for e in dated)
    last = max(e.end or e.start for e in dated)
    pad = max(15, (last - first).days // 40)
    first, last = first - datetime.timedelta(days=pad), last + datetime.timedelta(days=pad)
    label_width, plot_width, top, lane_h = 160, 520, 24, 30
    width = label_width + plot_width + 20
    height = top + lane_h * len(lanes) + 82

    def x_of(day: datetime.date) -> float:
        return label_width + (day - first).days / max(1, (last - first).days) * plot_width

    body = []
    plot_bottom = top + lane_h * len(lanes)
    for i, lane in enumerate(lanes):
        y = top + i * lane_h
        if i % 2 == 0:
            body.append(
                f'<rect x="{label_width}" y="{y}" width="{plot_width}" height="{lane_h}" fill="#f5f7f9"/>'
            )
        body.append(_text(label_width - 8, y + lane_h / 2 + 4, _truncate(lane, 22), anchor="end"))
    for day, label in _axis_ticks(first, last):
        x = x_of(day)
        body.append(
            f'<line x1="{_n(x)}" y1="{top}" x2="{_n(x)}" y2="{_n(plot_bottom)}" stroke="{GRID}"/>'
        )
        body.append(_text(x, plot_bottom + 16, label, size=11, anchor="middle", fill=MUTED))
    body.append(
        f'<line x1="{label_width}" y1="{_n(plot_bottom)}" x2="{label_width + plot_width}" y2="{_n(plot_bottom)}" stroke="{MUTED}"/>'
    )
    body.append(
        _text(
            label_width + plot_width / 2,
            plot_bottom + 36,
            _("Date"),
            size=12,
            anchor="middle",
            fill=MUTED,
        )
    )
    rows = []
    for entry in sorted(dated, key=lambda e: (e.start, e.kind)):
        y = top + lanes.index(lane_of[entry.lane]) * lane_h + lane_h / 2
        x = x_of(entry.start)
        if entry.end and entry.end > entry.start:
            mark = (
                f'<rect x="{_n(x)}" y="{_n(y - 4)}" width="{_n(max(3, x_of(entry.end) - x))}" height="8" '
                f'fill="{KIND_COLOURS["complaints"]}" rx="2"/>'
            )
        else:
            mark = _marker(entry.kind, x, y)
        tooltip = f"<title>{escape(entry.label)} ({native_digits(entry.start.isoformat())})</title>"
        if entry.url:
            body.append(f'<a href="{escape(entry.url)}">{tooltip}{mark}</a>')
        else:
            body.append(f"<g>{tooltip}{mark}</g>")
        when = native_digits(
            entry.start.isoformat() + (f" – {entry.end.isoformat()}" if entry.end else "")
        )
        rows.append((entry.lane, when, entry.kind, entry.label))
    legend_y = plot_bottom + 62
    x = label_width
    names = {
        "meeting": _("Meeting"),
        "commitment": _("Commitment"),
        "update": _("Update"),
        "milestone": _("Milestone"),
        "complaints": _("Complaint period"),
    }
    for kind, name in names.items():
        # generous: PDF fonts run wider than the browser's
        item_width = 30 + _letters(name) * 7.5
        if x > label_width and x + item_width > width:  # on to a row of its own
            x, legend_y = label_width, legend_y + LEGEND_ROW
            height += LEGEND_ROW
        if kind == "complaints":
            body.append(
                f'<rect x="{_n(x - 6)}" y="{legend_y - 8}" width="14" height="8" fill="{KIND_COLOURS[kind]}"/>'
            )
        else:
            body.append(_marker(kind, x, legend_y - 4))
        body.append(_text(x + 12, legend_y, name, size=11))
        x += item_width
    description = _("%(count)s dated entries across %(lanes)s lanes, %(first)s to %(last)s.") % {
        "count": number(len(dated)),
        "lanes": number(len(lanes)),
        "first": format_day(min(e.start for e in dated)),
        "last": format_day(max(e.end or e.start for e in dated)),
    }
    if skipped:
        description += " " + _("%(count)s entries without a known date are not drawn.") % {
            "count": number(skipped)
        }
    svg = _svg(width, height, title, description, body, links=True)
    return Chart(title, description, svg, columns, rows)
