"""Bulk import of records from CSV or XLSX, through `cooperation.services`, all or nothing.

- `kinds`: the kinds of record a file may hold, their columns and the keys rows match on.
- `columns`: how each column's text is read, and written by the list exports.
- `reading`: the file's rows, one at a time, with its size, encoding and row limits.
- `running`: `import_file`, which checks and writes the rows and reports on each.
- `templates`: an XLSX template per kind.
"""

from cooperation.imports.kinds import KINDS, Kind
from cooperation.imports.reading import FileRefused, size_check
from cooperation.imports.running import ImportReport, RowError, import_file

__all__ = ["KINDS", "FileRefused", "ImportReport", "Kind", "RowError", "import_file", "size_check"]
