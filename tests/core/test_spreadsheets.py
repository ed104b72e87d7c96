"""core.spreadsheets: text that starts like a formula is written as text, numbers as numbers."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
import tablib

from core.spreadsheets import (
    csv_cell,
    csv_cell_read,
    spreadsheet_csv,
    spreadsheet_xlsx,
    starts_like_formula,
)

HYPERLINK = '=HYPERLINK("http://evil.example","x")'
DDE = "=cmd|' /C calc'!A0"
HOSTILE = [HYPERLINK, DDE, "=1+1", "+1+2", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("text", HOSTILE)
def test_it_knows_text_that_a_spreadsheet_would_run(text):
    assert starts_like_formula(text)


@pytest.mark.parametrize("text", ["张秀英", "1203", "-1", "+86", "-12.5", "a=b", ""])
def test_it_leaves_plain_text_and_signed_numbers_alone(text):
    assert not starts_like_formula(text)
    assert csv_cell(text) == text


def test_a_csv_cell_is_escaped_with_a_quote_and_read_back_bare():
    for text in HOSTILE:
        assert csv_cell(text) == "'" + text
        assert csv_cell_read(csv_cell(text)) == text
    assert csv_cell_read("'quoted") == "'quoted"  # a quote a person typed stays
    assert csv_cell(-3) == -3


def hostile_dataset() -> tablib.Dataset:
    dataset = tablib.Dataset(headers=["Name", "Packs", "Due"], title="Residents: [all]")
    for text in HOSTILE:
        dataset.append((text, -2, Decimal("-12.50")))
    dataset.append(("张秀英", 3, None))
    return dataset


def test_xlsx_writes_every_hostile_string_as_a_text_cell_and_numbers_as_numbers():
    book = openpyxl.load_workbook(io.BytesIO(spreadsheet_xlsx(hostile_dataset())))
    sheet = book.active

    assert sheet.title == "Residents- -all-"
    rows = list(sheet.iter_rows(min_row=2))
    for row, text in zip(rows, HOSTILE, strict=False):
        name, packs, due = row
        assert (name.data_type, name.value) == ("s", text.replace("\r", "\n"))  # XML reads CR as LF
        assert name.quotePrefix
        assert (packs.data_type, packs.value) == ("n", -2)
        assert (due.data_type, due.value) == ("n", -12.5)
    assert rows[-1][0].value == "张秀英" and not rows[-1][0].quotePrefix
    assert rows[-1][2].value is None
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


def test_xlsx_writes_several_sheets_in_order():
    first, second = hostile_dataset(), tablib.Dataset(headers=["Total"], title="Summary")
    second.append((5,))

    book = openpyxl.load_workbook(io.BytesIO(spreadsheet_xlsx(first, second)))

    assert book.sheetnames == ["Residents- -all-", "Summary"]
    assert list(book["Summary"].iter_rows(values_only=True)) == [("Total",), (5,)]


def test_csv_escapes_hostile_text_with_a_bom_and_keeps_numbers():
    content = spreadsheet_csv(hostile_dataset())

    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["Name", "Packs", "Due"]
    assert [row[0] for row in rows[1:-1]] == ["'" + text for text in HOSTILE]
    assert {(row[1], row[2]) for row in rows[1:-1]} == {("-2", "-12.50")}
    assert rows[-1] == ["张秀英", "3", ""]
