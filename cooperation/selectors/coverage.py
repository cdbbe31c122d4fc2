"""Action-plan coverage: how many of the meetings, commitments or milestones involving each
partner serve each pillar (prevention, protection, prosecution, partnership) or are not
classified yet, for one viewer.

A record involves a partner as the tables' partner filter says: a meeting's or milestone's
partners, a commitment's maker and recipients. So a cell's count is exactly the number of
rows its link (`<table>?partner=<slug>&pillar=<pillar>`) lists, and a record involving two
partners counts in both rows. The database groups the links by partner and pillar (one
query, two for commitments); a national deployment's thousand partners make a few thousand
small groups, sorted and paged here.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Model, Q, QuerySet
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy

from cooperation import visibility
from cooperation.models import Commitment, Meeting, Milestone, Partner, Pillar
from cooperation.pagination import page_clamp
from cooperation.visibility import Viewer

PER_PAGE = 50

# The kinds of record a coverage table counts, by the name its address uses, with their table.
KINDS: dict[str, tuple[type[Model], str, Any]] = {
    "commitment": (Commitment, "cooperation:commitment-list", gettext_lazy("Commitments")),
    "meeting": (Meeting, "cooperation:meeting-list", gettext_lazy("Meetings")),
    "milestone": (Milestone, "cooperation:milestone-list", gettext_lazy("Milestones")),
}
DEFAULT_KIND = "commitment"

# The tables' pillar filter value for records no editor has classified yet.
NOT_CLASSIFIED = "none"

# The table's columns: each pillar, then records no editor has classified (a blank pillar).
COLUMNS: list[str] = [*Pillar.values, ""]


@dataclass(frozen=True)
class CoverageFilters:
    """Which records a coverage table counts: one kind, dated within a range when given (a
    record without a known date then drops out, as in the tables)."""

    kind: str = DEFAULT_KIND
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


@dataclass(frozen=True)
class CoverageCell:
    """One count and the address of the table that lists exactly those records."""

    count: int
    url: str


@dataclass
class CoverageRow:
    """A partner's counts, by column (`COLUMNS`), and their total."""

    partner: Partner
    cells: list[CoverageCell]
    total: CoverageCell


@dataclass
class CoveragePage:
    """One page of the table, the busiest partners first, and the row of every record."""

    rows: list[CoverageRow] = field(default_factory=list)
    all_records: list[CoverageCell] = field(default_factory=list)
    all_total: CoverageCell | None = None
    number: int = 1
    num_pages: int = 1
    partner_count: int = 0

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def first_index(self) -> int:
        return (self.number - 1) * PER_PAGE + 1 if self.rows else 0

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.rows) - 1 if self.rows else 0


def _dated(prefix: str, filters: CoverageFilters) -> Q:
    """The date range, on the record at `prefix`, as the tables' date filters apply it."""
    q = Q()
    if filters.date_from:
        q &= Q(**{f"{prefix}date__gte": filters.date_from})
    if filters.date_to:
        q &= Q(**{f"{prefix}date__lte": filters.date_to})
    return q


def _groups(model: type[Model], viewer: Viewer | None, filters: CoverageFilters) -> list[QuerySet]:
    """(partner, name, code, n) groups: the links from visible records of `model` in range to
    visible partners, by partner and pillar. A commitment's maker and its recipients are two
    groupings; a recipient that also made the commitment is counted once, as its maker."""
    if model is Commitment:
        made = (
            Commitment.objects.filter(visibility.visible_q(viewer, Commitment))
            .filter(_dated("", filters))
            .filter(visibility.visible_q(viewer, Partner, "made_by__"))
            .values(partner_pk=F("made_by_id"), name=F("made_by__name"), code=F("pillar"))
        )
        through = Commitment.made_to.through
        received = (
            through.objects.filter(visibility.visible_q(viewer, Commitment, "commitment__"))
            .filter(_dated("commitment__", filters))
            .filter(visibility.visible_q(viewer, Partner, "partner__"))
            .exclude(commitment__made_by_id=F("partner_id"))
            .values(
                partner_pk=F("partner_id"), name=F("partner__name"), code=F("commitment__pillar")
            )
        )
        links = [made, received]
    else:
        record = model._meta.model_name
        through = model.partners.through  # type: ignore[attr-defined]
        links = [
            through.objects.filter(visibility.visible_q(viewer, model, f"{record}__"))
            .filter(_dated(f"{record}__", filters))
            .filter(visibility.visible_q(viewer, Partner, "partner__"))
            .values(
                partner_pk=F("partner_id"), name=F("partner__name"), code=F(f"{record}__pillar")
            )
        ]
    return [queryset.order_by().annotate(n=Count("pk")) for queryset in links]


def _cell(url: str, query: dict[str, str], count: int, pillar: str | None) -> CoverageCell:
    """A count, linked to its table filtered by the query and, unless None, the pillar."""
    params = dict(query)
    if pillar is not None:
        params["pillar"] = pillar or NOT_CLASSIFIED
    return CoverageCell(count, f"{url}?{urlencode(params)}" if params else url)


def coverage_page(*, user: Viewer | None, filters: CoverageFilters, page: int = 1) -> CoveragePage:
    """One page of the coverage table the user may see: partners they may see, with at least
    one record of the kind they may see, by total (most first), then name."""
    model, list_url, _label = KINDS[filters.kind]
    url = reverse(list_url)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0))
    names: dict[int, str] = {}
    for queryset in _groups(model, user, filters):
        for group in queryset:
            counts[group["partner_pk"]][group["code"]] += group["n"]
            names[group["partner_pk"]] = group["name"]
    totals = {pk: sum(by_pillar.values()) for pk, by_pillar in counts.items()}
    order = sorted(counts, key=lambda pk: (-totals[pk], names[pk].casefold(), pk))
    number, num_pages = page_clamp(requested=page, count=len(order), per_page=PER_PAGE)
    shown = order[(number - 1) * PER_PAGE : number * PER_PAGE]
    partners = Partner.objects.in_bulk(shown)

    dates = {
        name: value.isoformat()
        for name, value in (("date_from", filters.date_from), ("date_to", filters.date_to))
        if value
    }
    rows = []
    for pk in shown:
        partner = partners[pk]
        query = {"partner": partner.slug, **dates}
        rows.append(
            CoverageRow(
                partner=partner,
                cells=[_cell(url, query, counts[pk][code], code) for code in COLUMNS],
                total=_cell(url, query, totals[pk], None),
            )
        )

    every = dict.fromkeys(COLUMNS, 0)
    records = model._default_manager.filter(visibility.visible_q(user, model)).filter(
        _dated("", filters)
    )
    for group in records.order_by().values("pillar").annotate(n=Count("pk")):
        every[group["pillar"]] += group["n"]
    return CoveragePage(
        rows=rows,
        all_records=[_cell(url, dates, every[code], code) for code in COLUMNS],
        all_total=_cell(url, dates, sum(every.values()), None),
        number=number,
        num_pages=num_pages,
        partner_count=len(order),
    )
