"""Every spreadsheet the product hands out, opened as a committee member would open it, with a
resident, a round and a collection point named like formulas: each such name is a text cell in
XLSX and an escaped cell in CSV, never a live formula.

`EXPORTS` lists every export page and admin action; the tests below find all the admin actions
and URLs that download a spreadsheet, and the code that writes one, so that a new export that
is not listed here (or that writes its file without core.spreadsheets) fails."""

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import get_resolver, reverse

from residents.models import Resident
from tests.deliveries import conftest as deliveries_fixtures
from tests.factories import ResidentFactory

supplier = deliveries_fixtures.supplier
vegetables = deliveries_fixtures.vegetables
meat = deliveries_fixtures.meat
leader = deliveries_fixtures.leader
closes_at = deliveries_fixtures.closes_at
group_buy = deliveries_fixtures.group_buy
offers = deliveries_fixtures.offers
english_messages = deliveries_fixtures.english_messages
points = deliveries_fixtures.points
estate = deliveries_fixtures.estate
closed_round = deliveries_fixtures.closed_round
planned_round = deliveries_fixtures.planned_round

HYPERLINK = '=HYPERLINK("http://evil.example","x")'
DDE = "=cmd|' /C calc'!A0"
ROUND_TITLE = "=1+1"
POINT_NAME = "@SUM(A1:A9)"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

ROOT = Path(__file__).resolve().parent.parent

# Every export: (admin action or URL name, what it writes). Add a new one here.
EXPORTS = {
    "action:residents.resident.export_xlsx": "residents, XLSX",
    "action:residents.resident.export_csv": "residents, CSV",
    "url:admin:residents_resident_import_template": "import template, XLSX and CSV",
    "action:residents.household.create_logins": "household logins (a job; file below)",
    "url:household-logins-file": "household logins' password file, XLSX",
    "action:supplies.supplyround.export_by_building": "round by building, XLSX",
    "action:supplies.supplyround.export_by_household": "round by household, XLSX",
    "action:supplies.supplyround.export_reconciliation": "round's payments, XLSX",
    "url:admin:supplies_supplyround_export": "the same three from the round's page",
    "url:plan-manifest-xlsx": "a point's manifest, XLSX",
}


def assert_xlsx_text(content: bytes, *expected: str) -> None:
    """No cell is a formula, and each expected hostile text is there as a text cell."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    texts = {cell.value for cell in cells if cell.data_type == "s"}
    for text in expected:
        assert text in texts
    for cell in cells:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
            assert cell.quotePrefix or re.fullmatch(r"[+-]?\d+(\.\d+)?", cell.value)


def assert_csv_escaped(content: bytes, *expected: str) -> None:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    cells = {cell for row in rows for cell in row}
    for text in expected:
        assert "'" + text in cells and text not in cells
    for cell in cells:
        assert not cell.startswith(FORMULA_START) or re.fullmatch(r"[+-]?\d+(\.\d+)?", cell)


@pytest.fixture
def hostile(planned_round, points, estate):
    """The planned round titled `=1+1`, its first point named like a formula, and two
    residents named like the classic injections."""
    planned_round.title = ROUND_TITLE
    planned_round.save(update_fields=["title"])
    points[0].name = POINT_NAME
    points[0].save(update_fields=["name"])
    _buildings, households = estate
    first, second = list(households.values())[:2]
    ResidentFactory(household=first, name=HYPERLINK)
    ResidentFactory(household=second, name=DDE, notes="-1+1", phone="+8613900000001")
    return planned_round


@pytest.fixture
def as_staff(client, staff):
    client.force_login(staff)
    return client


def post_action(client, model: str, action: str, pks) -> bytes:
    response = client.post(
        reverse(f"admin:{model}_changelist"), {"action": action, ACTION_CHECKBOX_NAME: list(pks)}
    )
    assert response.status_code == 200, response.content[:300]
    assert "attachment" in response["Content-Disposition"]
    return response.content


class TestEveryExportWritesFormulasAsText:
    def test_residents_xlsx(self, as_staff, hostile):
        pks = Resident.objects.values_list("pk", flat=True)
        content = post_action(as_staff, "residents_resident", "export_xlsx", pks)
        assert_xlsx_text(content, HYPERLINK, DDE, "-1+1")

    def test_residents_csv(self, as_staff, hostile):
        pks = Resident.objects.values_list("pk", flat=True)
        content = post_action(as_staff, "residents_resident", "export_csv", pks)
        assert_csv_escaped(content, HYPERLINK, DDE, "-1+1")
        assert b",+8613900000001," in content  # a phone that is a plain number stays as it is

    @pytest.mark.parametrize("file_format", ["xlsx", "csv"])
    def test_import_template(self, as_staff, file_format):
        response = as_staff.get(
            reverse("admin:residents_resident_import_template", args=[file_format])
        )
        if file_format == "xlsx":
            assert_xlsx_text(response.content)
        else:
            assert_csv_escaped(response.content)

    @pytest.mark.parametrize(
        "action", ["export_by_building", "export_by_household", "export_reconciliation"]
    )
    def test_round_actions(self, as_staff, hostile, action):
        content = post_action(as_staff, "supplies_supplyround", action, [hostile.pk])
        assert_xlsx_text(content)

    @pytest.mark.parametrize("kind", ["by-building", "by-household", "reconciliation"])
    def test_round_page_exports(self, as_staff, hostile, kind):
        response = as_staff.get(
            reverse("admin:supplies_supplyround_export", args=[hostile.pk, kind])
        )
        assert response.status_code == 200
        assert_xlsx_text(response.content)

    def test_manifest_of_a_point(self, as_staff, hostile, points):
        response = as_staff.get(reverse("plan-manifest-xlsx", args=[hostile.pk, points[0].pk]))
        assert response.status_code == 200
        assert_xlsx_text(response.content, ROUND_TITLE, POINT_NAME)
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        packs = [row[4] for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert all(isinstance(count, int) for count in packs)  # numbers stay numbers


def test_every_admin_export_action_is_listed():
    actions = {
        f"action:{model._meta.label_lower}.{name}"
        for model, model_admin in admin.site._registry.items()
        for name in (model_admin.actions or [])
        if isinstance(name, str) and (name.startswith("export") or "login" in name)
    }
    assert actions <= set(EXPORTS), actions - set(EXPORTS)


def _url_names(resolver, namespace=""):
    for pattern in resolver.url_patterns:
        if hasattr(pattern, "url_patterns"):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _url_names(pattern, inner)
        elif pattern.name:
            yield f"{namespace}{pattern.name}", str(pattern.pattern)


def test_every_url_that_downloads_a_spreadsheet_is_listed():
    downloads = {
        f"url:{name}"
        for name, route in _url_names(get_resolver())
        if re.search(r"xlsx|csv|export|template|file", route + name)
    }
    assert downloads <= set(EXPORTS), downloads - set(EXPORTS)


def test_no_code_writes_a_spreadsheet_without_core_spreadsheets():
    """tablib's or openpyxl's own writers, or the csv module's, would let formulas through."""
    writers = re.compile(r"\.export\(|Databook\(|Workbook\(|csv\.writer|DictWriter|\.save_as")
    offenders = [
        str(path.relative_to(ROOT))
        for app in ("core", "residents", "supplies", "deliveries", "volunteers", "medical")
        for path in (ROOT / app).rglob("*.py")
        if path.name != "spreadsheets.py" and writers.search(path.read_text())
    ]
    assert offenders == []


def test_an_escaped_csv_imports_back_with_the_names_as_typed(
    as_staff, staff, hostile, other_compound
):
    from residents.importing import register_import
    from tests.factories import BuildingFactory

    for label in ("1", "2", "3"):
        BuildingFactory(compound=other_compound, label=label, units=2)
    pks = Resident.objects.values_list("pk", flat=True)
    content = post_action(as_staff, "residents_resident", "export_csv", pks)  # in English
    register_import(compound=other_compound, content=content, filename="x.csv", by=staff)

    names = set(
        Resident.objects.filter(household__building__compound=other_compound).values_list(
            "name", flat=True
        )
    )
    assert {HYPERLINK, DDE} <= names
    assert "-1+1" in set(Resident.objects.filter(name=DDE).values_list("notes", flat=True))
