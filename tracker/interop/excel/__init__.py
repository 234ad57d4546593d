"""Importing the commitments sheet of an Excel workbook (the export and the template are in
`tracker.interop.xlsx`): `read` (safe opening, cell readers, located problems), `plan` (rows
checked and matched) and `apply` (carried out through the services). Callers use the names
below."""

from tracker.interop.excel.apply import import_commitments
from tracker.interop.excel.read import (
    MAX_XLSX_BYTES,
    CellError,
    WorkbookError,
    agreement_code_in,
    cell_text,
    open_workbook,
)

__all__ = [
    "MAX_XLSX_BYTES",
    "CellError",
    "WorkbookError",
    "agreement_code_in",
    "cell_text",
    "import_commitments",
    "open_workbook",
]
