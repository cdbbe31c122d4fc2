"""An XLSX template per kind: a first sheet with the columns and an example row (the sheet an
import reads), and a second that says what each column holds and which values it takes."""

from typing import BinaryIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from cooperation.imports.kinds import Kind

BOLD = Font(bold=True)


def template_write(kind: Kind, stream: BinaryIO) -> None:
    """Write the template of `kind` to a binary stream."""
    book = Workbook()
    records = book.active
    records.title = str(kind.label).capitalize()[:31]
    records.append([column.name for column in kind.columns])
    records.append([column.example for column in kind.columns])
    for number, column in enumerate(kind.columns, start=1):
        records.cell(row=1, column=number).font = BOLD
        records.column_dimensions[get_column_letter(number)].width = max(12, len(column.name) + 2)
    records.freeze_panes = "A2"

    guide = book.create_sheet(_("Columns"))
    guide.append([_("column"), _("required"), _("what it holds"), _("allowed values")])
    for cell in guide[1]:
        cell.font = BOLD
    for column in kind.columns:
        guide.append(
            [
                column.name,
                _("yes") if column.required else "",
                str(column.help),
                str(column.allowed),
            ]
        )
    guide.append([])
    guide.append(
        [
            _(
                "Dates are YYYY-MM-DD. Links name records by slug; several are separated "
                "by semicolons. Remove the example row before importing."
            )
        ]
    )
    for letter, width in zip("ABCD", (22, 10, 70, 50), strict=True):
        guide.column_dimensions[letter].width = width
    book.save(stream)
