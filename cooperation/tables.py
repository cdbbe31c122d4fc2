"""Tables of the list pages, sortable and exportable (CSV, Excel).

Related records come from the selectors already filtered for the user; a foreign
key the user may not see is masked through the `<name>_shown` annotations the list
selectors add. Exports put a plain-text value in every cell and neutralise text
that a spreadsheet would run as a formula.
"""

import django_tables2 as tables
from django.db.models import F
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cooperation import follow_up, numerals, small_counts
from cooperation.dates import format_day, format_period, format_uncertain_date
from cooperation.exports import neutralise
from cooperation.translations import name_html, shown_html

DASH = "—"


class ConcordTable(tables.Table):
    """Base table: empty text, stable ordering, and safe exports."""

    class Meta:
        template_name = "includes/table.html"
        attrs = {"class": "table"}
        empty_text = _("Nothing matches these filters.")

    # HXL hashtags (https://hxlstandard.org) of the columns, by name, for `?hxl=1` exports;
    # the import columns an export adds carry their own (`ImportColumn.hxl`).
    hxl_tags: dict[str, str] = {}

    def as_values(self, exclude_columns=None):
        for row in super().as_values(exclude_columns=exclude_columns):
            yield [neutralise(value) for value in row]

    def hxl_row(self) -> list[str]:
        """The hashtag row of the exported columns, in the order `as_values` gives them."""
        return [
            getattr(column.column, "hxl", "") or self.hxl_tags.get(column.name, "")
            for column in self.columns.iterall()
            if not column.column.exclude_from_export
        ]


def order_nulls_last(field: str):
    """An order_FOO method: by `field`, rows without a value last either way, then by pk."""

    def order(self, queryset, is_descending):
        expression = (
            F(field).desc(nulls_last=True) if is_descending else F(field).asc(nulls_last=True)
        )
        tiebreak = "-pk" if is_descending else "pk"
        return queryset.order_by(expression, tiebreak), True

    return order


def links(records) -> str:
    return (
        format_html_join(
            ", ", '<a href="{}">{}</a>', ((r.get_absolute_url(), name_html(r)) for r in records)
        )
        or DASH
    )


def names(records) -> str:
    return "; ".join(str(r) for r in records)


class UncertainDateColumn(tables.Column):
    """A date shown with its precision ('Nov 2022', '1 Nov 2022, year inferred')."""

    def __init__(self, **kwargs):
        kwargs.setdefault("verbose_name", _("Date"))
        kwargs.setdefault("accessor", "date")
        kwargs.setdefault("default", _("date unknown"))
        kwargs.setdefault("attrs", {"td": {"class": "nowrap"}})
        super().__init__(**kwargs)

    def render(self, record):
        return record.date_display

    def value(self, record):
        return format_uncertain_date(
            record.date, record.date_precision, record.date_inferred, native_digits=False
        )


def pillar_column():
    """The action-plan pillar of a meeting, commitment or milestone; a dash until classified."""
    return tables.Column(verbose_name=_("Plan pillar"), default=DASH)


NUMBER_ATTRS = {"td": {"class": "num"}, "th": {"class": "num"}}


class NumberColumn(tables.Column):
    """A count, shown in the reader's digits and separators; exported as the number."""

    def __init__(self, **kwargs):
        kwargs.setdefault("attrs", NUMBER_ATTRS)
        super().__init__(**kwargs)

    def render(self, value):
        return numerals.number(value)

    def value(self, value):
        return value


class DayColumn(tables.Column):
    """A known day ('1 Nov 2022' in the reader's language); exported as YYYY-MM-DD."""

    def __init__(self, **kwargs):
        kwargs.setdefault("default", DASH)
        kwargs.setdefault("attrs", {"td": {"class": "nowrap"}})
        super().__init__(**kwargs)

    def render(self, value):
        return format_day(value)

    def value(self, value):
        return value.isoformat() if value else ""


class TranslatedColumn(tables.Column):
    """A record's own text in the reader's language, the original marked when it is not
    translated (`cooperation.translations`); exported as the original."""

    def render(self, record, bound_column):
        return shown_html(record, bound_column.accessor)

    def value(self, record, bound_column):
        return getattr(record, bound_column.accessor)


class MaskedLinkColumn(tables.Column):
    """A related record as a link, masked (a dash, an empty export cell) when the viewer may
    not see it. The list selectors mark each such relation `<name>_shown` through
    `visibility.with_shown`; this column is the one place that reads the mark."""

    def __init__(self, **kwargs):
        kwargs.setdefault("default", DASH)
        kwargs.setdefault("empty_values", ())
        super().__init__(**kwargs)

    def _shown(self, record, bound_column):
        name = bound_column.accessor
        return getattr(record, name) if getattr(record, f"{name}_shown", False) else None

    def render(self, record, bound_column):
        related = self._shown(record, bound_column)
        if related is None:
            return DASH
        return format_html('<a href="{}">{}</a>', related.get_absolute_url(), name_html(related))

    def value(self, record, bound_column):
        related = self._shown(record, bound_column)
        return "" if related is None else str(related)


def iso_date_column(accessor="date", verbose_name=None):
    """A column only the exports carry: the date a spreadsheet can sort."""
    return tables.Column(
        accessor=accessor,
        verbose_name=verbose_name or _("Date (ISO)"),
        visible=False,
        orderable=False,
        default="",
    )


class PartnerTable(ConcordTable):
    hxl_tags = {
        "name": "#org+name",
        "kind": "#org+type",
        "country": "#country+code",
        "parent": "#org+parent",
        "meeting_count": "#indicator+num+meetings",
        "open_commitment_count": "#indicator+num+commitments_open",
        "last_contact": "#date+last_contact",
    }
    name = TranslatedColumn(verbose_name=_("Partner"), linkify=True)
    kind = tables.Column(verbose_name=_("Kind"))
    country = tables.Column(verbose_name=_("Country"), default=_("International"))
    parent = MaskedLinkColumn(verbose_name=_("Part of"), order_by=("parent__name",))
    meeting_count = NumberColumn(verbose_name=_("Meetings"))
    open_commitment_count = NumberColumn(verbose_name=_("Open commitments"))
    last_contact = DayColumn(verbose_name=_("Last contact"))

    order_last_contact = order_nulls_last("last_contact")


class PartnersAndTopicsTable(ConcordTable):
    """Columns for records linked to partners and topics (meetings, milestones)."""

    partners = tables.Column(verbose_name=_("Partners"), empty_values=(), orderable=False)
    topics = tables.Column(verbose_name=_("Topics"), empty_values=(), orderable=False)

    def render_partners(self, record):
        return links(record.partners.all())

    def value_partners(self, record):
        return names(record.partners.all())

    def render_topics(self, record):
        return format_html_join("; ", "{}", ((name_html(t),) for t in record.topics.all())) or DASH

    def value_topics(self, record):
        return names(record.topics.all())


class MeetingTable(PartnersAndTopicsTable):
    hxl_tags = {
        "title": "#event+name",
        "partners": "#org+name",
        "topics": "#sector",
        "location": "#loc+name",
        "date_iso": "#date",
    }
    date = UncertainDateColumn(order_by=("date",))
    title = TranslatedColumn(verbose_name=_("Meeting"), linkify=True)
    location = tables.Column(verbose_name=_("Location"), default=DASH)
    pillar = pillar_column()
    date_iso = iso_date_column()

    order_date = order_nulls_last("date")

    class Meta(ConcordTable.Meta):
        fields = ()
        sequence = ("date", "title", "partners", "topics", "location", "pillar", "date_iso")

    def value_location(self, value):
        return value or ""


class CommitmentTable(ConcordTable):
    hxl_tags = {
        "title": "#activity+name",
        "made_by": "#org+name",
        "made_to": "#org+recipient",
        "status": "#status",
        "target_date": "#date+target",
        "meeting": "#event+name",
        "date_iso": "#date",
    }
    date = UncertainDateColumn(verbose_name=_("Made"), order_by=("date",))
    title = TranslatedColumn(verbose_name=_("Commitment"), linkify=True)
    made_by = MaskedLinkColumn(verbose_name=_("By"), order_by=("made_by__name",))
    made_to = tables.Column(
        verbose_name=pgettext_lazy("made to a partner", "To"), empty_values=(), orderable=False
    )
    status = tables.Column(verbose_name=_("Status"))
    target_date = DayColumn(verbose_name=_("Target date"))
    meeting = MaskedLinkColumn(verbose_name=_("Made at"), order_by=("meeting__title",))
    pillar = pillar_column()
    date_iso = iso_date_column()

    order_date = order_nulls_last("date")
    order_target_date = order_nulls_last("target_date")

    def render_made_to(self, record):
        return links(record.made_to.all())

    def value_made_to(self, record):
        return names(record.made_to.all())

    def render_status(self, record):
        return format_html(
            '<span class="status status-{}">{}</span> {}',
            record.status,
            record.get_status_display(),
            follow_up.marks_html(record),
        )

    def value_status(self, record):
        return record.get_status_display()

    def render_target_date(self, value):
        return format_day(value)


class ComplaintCountTable(ConcordTable):
    hxl_tags = {
        "received_by": "#org+name",
        "count": "#affected+num",
        "verified_share": "#affected+pct+verified",
        "verified_count": "#affected+num+verified",
        "origin": "#loc+origin",
        "period_start": "#date+start",
        "period_end": "#date+end",
    }
    period = tables.Column(
        verbose_name=_("Period"),
        accessor="period_start",
        linkify=lambda record: record.get_absolute_url(),
        attrs={"td": {"class": "nowrap"}},
    )
    received_by = MaskedLinkColumn(verbose_name=_("Received by"), order_by=("received_by__name",))
    count = NumberColumn(verbose_name=_("Complaints"))
    verified_share = tables.Column(
        verbose_name=_("Share found true"), default=DASH, attrs=NUMBER_ATTRS
    )
    verified_count = NumberColumn(verbose_name=_("Found true"), empty_values=(), orderable=False)
    origin = tables.Column(verbose_name=_("Where they came from"), default=DASH, orderable=False)
    period_start = iso_date_column("period_start", _("Period start (ISO)"))
    period_end = iso_date_column("period_end", _("Period end (ISO)"))

    def order_period(self, queryset, is_descending):
        if is_descending:
            return queryset.order_by("-period_start", "-period_end", "-pk"), True
        return queryset.order_by("period_start", "period_end", "pk"), True

    def render_period(self, record):
        return record.period_display

    def value_period(self, record):
        return format_period(
            record.period_start, record.period_end, record.period_inferred, native_digits=False
        )

    # A small public count shows as "fewer than 11" to readers not signed in, sorts with the
    # others like it as one value, and hides its share (`cooperation.small_counts`).
    def order_count(self, queryset, is_descending):
        return small_counts.order_by_count(queryset, descending=is_descending), True

    def order_verified_share(self, queryset, is_descending):
        return small_counts.order_by_share(queryset, descending=is_descending), True

    def render_count(self, record):
        if small_counts.is_hidden(record):
            return small_counts.fewer_than()
        if record.approximate:
            return format_html(
                '<abbr title="{}">≈</abbr>&#8239;{}',
                _("approximately"),
                numerals.number(record.count),
            )
        return numerals.number(record.count)

    def value_count(self, record):
        return small_counts.exported_count(record)

    def render_verified_share(self, record):
        if small_counts.is_hidden(record):
            return DASH
        text = numerals.percent(record.verified_share, 1)
        if record.verified_share_approximate:
            return format_html('<abbr title="{}">≈</abbr>&#8239;{}', _("approximately"), text)
        return text

    def value_verified_share(self, record):
        share = small_counts.shown_share(record)
        return "" if share is None else float(share)

    def render_verified_count(self, record):
        verified = small_counts.shown_verified_count(record)
        return DASH if verified is None else numerals.number(verified)

    def value_verified_count(self, record):
        verified = small_counts.shown_verified_count(record)
        return "" if verified is None else verified

    def value_origin(self, value):
        return value or ""


class MilestoneTable(PartnersAndTopicsTable):
    hxl_tags = {
        "title": "#event+name",
        "kind": "#event+type",
        "partners": "#org+name",
        "topics": "#sector",
        "date_iso": "#date",
    }
    date = UncertainDateColumn(order_by=("date",))
    title = TranslatedColumn(verbose_name=_("Milestone"), linkify=True)
    kind = tables.Column(verbose_name=_("Kind"))
    pillar = pillar_column()
    date_iso = iso_date_column()

    order_date = order_nulls_last("date")

    class Meta(ConcordTable.Meta):
        fields = ()
        sequence = ("date", "title", "kind", "partners", "topics", "pillar", "date_iso")
