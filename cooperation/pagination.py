"""Pages of rows: one rule for whatever page number a visitor asks for, on every list.

Anything that is not a whole number, or is below 1, gives the first page; a number beyond
the last page gives the last page. Tables go through `table_paginate`; a list that pages
by its own arithmetic (the timeline's UNION) uses `page_clamp`.
"""

from django.core.paginator import EmptyPage
from django.db.models import QuerySet
from django.http import HttpRequest
from django_tables2 import RequestConfig, Table
from django_tables2.paginators import LazyPaginator

MAX_PAGE = 1_000_000
# Tables count their rows up to this many, and say "more than" past it.
COUNT_CAP = 10_000


def page_number(value: object, *, default: int = 1) -> int:
    """A page number (or page size) from a query parameter; anything unusable gives the default."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return default
    return max(1, min(number, MAX_PAGE))


def page_clamp(*, requested: int, count: int, per_page: int) -> tuple[int, int]:
    """(page number, number of pages) for `count` rows: below 1 gives 1, beyond the last page
    gives the last; no rows still make one (empty) page."""
    num_pages = max(1, -(-count // per_page))
    return min(max(1, requested), num_pages), num_pages


class CappedPaginator(LazyPaginator):
    """Pages whose rows are counted only up to COUNT_CAP: a table of a million rows costs what
    a table of ten thousand does. Up to the cap the count and the pages are exact; past it
    the table shows "more than COUNT_CAP rows" and pages on by looking one row ahead."""

    def __init__(self, object_list, per_page, *, counted: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.counted = counted

    @property
    def capped(self) -> bool:
        return self.counted > COUNT_CAP

    @property
    def count(self) -> int:  # type: ignore[override]
        return min(self.counted, COUNT_CAP)

    @property
    def num_pages(self) -> int:  # type: ignore[override]
        if self.capped:
            return self._num_pages or 1
        return max(1, -(-self.counted // self.per_page))

    def is_last_page(self, number: int) -> bool:
        return number == self.num_pages if not self.capped else super().is_last_page(number)


def rows_counted(data, *, cap: int = COUNT_CAP) -> int:
    """How many rows a table's data holds, counting no further than one past `cap`."""
    rows = getattr(data, "data", data)
    if isinstance(rows, QuerySet):
        return rows.order_by()[: cap + 1].count()
    return min(len(rows), cap + 1)


def table_paginate(
    table: Table, *, request: HttpRequest, per_page: int, max_per_page: int | None = None
) -> None:
    """Sort the table as the request asks and show the page it asks for, by the rule above.

    The page size is fixed unless `max_per_page` is given; then the request may choose one
    up to that many rows (a size without a limit would let anyone ask for every row). Rows
    are counted up to COUNT_CAP (`CappedPaginator`); only a page asked for past the end of a
    longer table counts them all, to find the last page.
    """
    RequestConfig(request, paginate=False).configure(table)
    if max_per_page is not None:
        asked = page_number(request.GET.get(table.prefixed_per_page_field), default=per_page)
        per_page = min(asked, max_per_page)
    requested = page_number(request.GET.get(table.prefixed_page_field))
    counted = rows_counted(table.data)
    count = counted
    if counted > COUNT_CAP and requested > 1:
        try:
            table.paginate(CappedPaginator, page=requested, per_page=per_page, counted=counted)
            return
        except EmptyPage:
            count = len(table.data)
    number, _ = page_clamp(requested=requested, count=count, per_page=per_page)
    table.paginate(CappedPaginator, page=number, per_page=per_page, counted=counted)
