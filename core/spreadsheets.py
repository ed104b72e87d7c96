"""Every spreadsheet the product hands out (XLSX and CSV) is written here, so that text a
person typed is always text: a name like `=HYPERLINK(...)` or `=cmd|' /C calc'!A0` must not
become a live formula in the committee's Excel (OWASP "CSV injection").

XLSX: every string is a text cell (never a formula), and one that starts like a formula also
gets Excel's quote prefix, so that editing the cell keeps it text. CSV: a text cell that
starts like a formula is written behind a `'`, which `csv_cell_read` takes off again on import.
Numbers (quantities, prices, a negative amount) stay numbers."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

import tablib
from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"

# What Excel, LibreOffice and Google Sheets read as the start of a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
_WIDEST_COLUMN = 60


def starts_like_formula(value: str) -> bool:
    """True for text a spreadsheet would run; a plain signed number ("-1") runs nothing."""
    return value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value)


def csv_cell(value):
    """A value as a CSV cell: text that starts like a formula behind a `'`."""
    if isinstance(value, str) and starts_like_formula(value):
        return "'" + value
    return value


def csv_cell_read(value: str) -> str:
    """Undo `csv_cell` for a file this product wrote and a person edited: `'=x` reads `=x`."""
    if value.startswith("'") and starts_like_formula(value[1:]):
        return value[1:]
    return value


def spreadsheet_csv(dataset: tablib.Dataset) -> bytes:
    """One sheet as UTF-8 CSV with a BOM, so that Excel opens the Chinese text correctly."""
    stream = io.StringIO(newline="")
    writer = csv.writer(stream)
    if dataset.headers:
        writer.writerow([csv_cell(str(header)) for header in dataset.headers])
    for row in dataset:
        writer.writerow([csv_cell(value) for value in row])
    return ("\ufeff" + stream.getvalue()).encode("utf-8")


def _write_cell(cell, value) -> None:
    if value is None:
        return
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.data_type = "s"  # openpyxl makes a formula of any string starting with "="
        if starts_like_formula(value):
            cell.quotePrefix = True
        return
    cell.value = value


def _write_sheet(worksheet, dataset: tablib.Dataset) -> None:
    bold = Font(bold=True)
    rows: Iterable = dataset
    widths: list[int] = []
    start = 1
    if dataset.headers:
        for column, header in enumerate(dataset.headers, 1):
            cell = worksheet.cell(row=1, column=column)
            _write_cell(cell, str(header))
            cell.font = bold
        worksheet.freeze_panes = "A2"
        widths = [len(str(header)) for header in dataset.headers]
        start = 2
    for number, row in enumerate(rows, start):
        for column, value in enumerate(row, 1):
            _write_cell(worksheet.cell(row=number, column=column), value)
            if len(widths) < column:
                widths.append(0)
            widths[column - 1] = max(widths[column - 1], len(str(value or "")))
    for column, width in enumerate(widths, 1):
        worksheet.column_dimensions[get_column_letter(column)].width = min(
            _WIDEST_COLUMN, width + 2
        )


def spreadsheet_xlsx(*datasets: tablib.Dataset) -> bytes:
    """The datasets as the sheets of one XLSX workbook, each titled by its dataset."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for number, dataset in enumerate(datasets, 1):
        title = re.sub(r"[\\*?:/\[\]]", "-", str(dataset.title or f"Sheet{number}"))[:31]
        _write_sheet(workbook.create_sheet(title=title), dataset)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def spreadsheet_bytes(dataset: tablib.Dataset, file_format: str) -> bytes:
    """One dataset as "xlsx" or "csv"."""
    return spreadsheet_csv(dataset) if file_format == "csv" else spreadsheet_xlsx(dataset)


def file_response(content: bytes, *, filename: str, file_format: str) -> HttpResponse:
    """A download of an export or a template, named `filename.csv` or `filename.xlsx`."""
    content_type = XLSX_CONTENT_TYPE if file_format == "xlsx" else CSV_CONTENT_TYPE
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{file_format}"'
    return response
