"""How the API's lists are paged."""

from django.core.exceptions import ValidationError
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination


class RecordCursor(CursorPagination):
    """Pages read from an index by a cursor (`?cursor=`), so the hundredth page costs what
    the first does; `?page_size=` up to 100. Each view names its order in `cursor_ordering`."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_ordering(self, request, queryset, view):
        return view.cursor_ordering

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        if cursor and cursor.position and "\x00" in cursor.position:
            raise NotFound(self.invalid_cursor_message)
        return cursor

    def paginate_queryset(self, queryset, request, view=None):
        # A cursor is opaque but not signed: one made up by hand may hold a position the
        # ordering column cannot take ("abc" for an id), which is a bad cursor, not a fault.
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, ValidationError):
            raise NotFound(self.invalid_cursor_message) from None
