"""Pages of rows: one rule for whatever page number a visitor asks for, on every list.

Anything that is not a whole number, or is below 1, gives the first page; a number beyond
the last page gives the last page. Tables go through `table_paginate`; a list that pages
by its own arithmetic (the timeline's UNION) uses `page_clamp`.
"""

from django.http import HttpRequest
from django_tables2 import RequestConfig, Table

MAX_PAGE = 1_000_000


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


def table_paginate(
    table: Table, *, request: HttpRequest, per_page: int, max_per_page: int | None = None
) -> None:
    """Sort the table as the request asks and show the page it asks for, by the rule above.

    The page size is fixed unless `max_per_page` is given; then the request may choose one
    up to that many rows (a size without a limit would let anyone ask for every row).
    """
    RequestConfig(request, paginate=False).configure(table)
    if max_per_page is not None:
        asked = page_number(request.GET.get(table.prefixed_per_page_field), default=per_page)
        per_page = min(asked, max_per_page)
    requested = page_number(request.GET.get(table.prefixed_page_field))
    # Page 1 always exists; building it counts the rows, once, for the clamp.
    table.paginate(page=1, per_page=per_page)
    number, _ = page_clamp(requested=requested, count=table.paginator.count, per_page=per_page)
    if number != 1:
        table.paginate(page=number, per_page=per_page)
