import csv
import datetime
import io

import openpyxl
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.translation import gettext_lazy, override

from residents.importing import (
    COLUMNS,
    ImportResult,
    RegisterImportRejected,
    register_import,
)
from residents.models import Household, Need, Resident, ResidentNeed
from tests.factories import BuildingFactory, HouseholdFactory, ResidentFactory

KEYS = [column.key for column in COLUMNS]
ENGLISH_HEADERS = [
    "Building",
    "Unit",
    "Room",
    "Household phone",
    "Name",
    "Phone",
    "Birth date",
    "Sex",
    "Special needs",
    "Care level",
    "Notes",
]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def chinese(text) -> str:
    with override("zh-hans"):
        return str(text)


def skip_unless_translated(text) -> None:
    """The zh-hans catalogue is written alongside these tests; without it there is nothing
    Chinese to check."""
    with override("en"):
        english = str(text)
    if chinese(text) == english:
        pytest.skip(f"no zh-hans translation of {english!r} in locale/ yet")


def resident_row(**values) -> dict:
    return {"building": "1", "unit": "1", "room": "101", "name": "张秀英", **values}


def as_table(rows: list[dict], headers: list[str]) -> list[list]:
    return [headers, *([row.get(key, "") for key in KEYS] for row in rows)]


def csv_file(rows: list[dict], headers=ENGLISH_HEADERS, encoding="utf-8-sig") -> bytes:
    text = io.StringIO()
    csv.writer(text).writerows(as_table(rows, headers))
    return text.getvalue().encode(encoding)


def xlsx_file(rows: list[dict], headers=ENGLISH_HEADERS) -> bytes:
    book = openpyxl.Workbook()
    for line in as_table(rows, headers):
        book.active.append(line)
    content = io.BytesIO()
    book.save(content)
    return content.getvalue()


def read_back(content: bytes, file_format: str) -> list[list]:
    if file_format == "csv":
        assert content.startswith("\ufeff".encode())
        return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return [["" if cell is None else str(cell) for cell in row] for row in sheet.values]


def problems(compound, by, content: bytes, filename: str = "register.csv") -> list[tuple]:
    """The (row, column, message) problems of a rejected file, in English."""
    with override("en"), pytest.raises(RegisterImportRejected) as rejection:
        register_import(compound=compound, content=content, filename=filename, by=by)
    return [(error.row, error.column, error.message) for error in rejection.value.errors]


def register(compound) -> list[tuple]:
    """The compound's residents as the import columns see them."""
    return sorted(
        (
            resident.household.building.label,
            resident.household.unit,
            resident.household.room,
            resident.household.contact_phone,
            resident.name,
            resident.phone,
            resident.birth_date,
            resident.sex,
            tuple(resident.need_codes),
            resident.care_level,
            resident.notes,
        )
        for resident in Resident.objects.filter(household__building__compound=compound)
        .select_related("household__building")
        .prefetch_related("needs")
    )


@pytest.fixture
def tower(compound):
    """A second building of `compound`, with three units."""
    return BuildingFactory(compound=compound, label="2", units=3, floors=18)


@pytest.fixture
def good_rows(building, tower) -> list[dict]:
    return [
        resident_row(
            household_phone="13800138000",
            phone="13900139000",
            birth_date="1941-05-02",
            sex="F",
            needs="elderly_alone; chronic_medication",
            care_level="3",
            notes="耳背，需敲门",
        ),
        resident_row(
            name="王建国", birth_date="1938/11/20", sex="男", needs="Dialysis、80 and over"
        ),
        resident_row(building="2", unit="3", room="1203", name="李浩然", sex="m"),
    ]


GOOD_REGISTER = [
    ("1", 1, "101", "13800138000", "张秀英", "13900139000", datetime.date(1941, 5, 2), "F",
     ("chronic_medication", "elderly_alone"), 3, "耳背，需敲门"),
    ("1", 1, "101", "13800138000", "王建国", "", datetime.date(1938, 11, 20), "M",
     ("aged_80_plus", "dialysis"), 0, ""),
    ("2", 3, "1203", "", "李浩然", "", None, "M", (), 0, ""),
]  # fmt: skip


class TestGoodFiles:
    @pytest.mark.parametrize(
        ("filename", "encode"),
        [
            ("register.csv", lambda rows: csv_file(rows, encoding="utf-8-sig")),
            ("register.csv", lambda rows: csv_file(rows, encoding="gb18030")),
            ("REGISTER.CSV", lambda rows: csv_file(rows, encoding="utf-8")),
            ("register.xlsx", xlsx_file),
        ],
        ids=["utf-8-bom", "gb18030", "utf-8-upper-case-name", "xlsx"],
    )
    def test_it_imports_households_and_residents(
        self, compound, staff, good_rows, filename, encode
    ):
        result = register_import(
            compound=compound, content=encode(good_rows), filename=filename, by=staff
        )

        assert result == ImportResult(households_created=2, residents_created=3)
        assert register(compound) == sorted(GOOD_REGISTER)
        assert {(h.created_by, h.updated_by) for h in Household.objects.all()} == {(staff, staff)}
        assert {(r.created_by, r.updated_by) for r in Resident.objects.all()} == {(staff, staff)}

    def test_it_reads_numbers_and_dates_as_a_spreadsheet_stores_them(
        self, compound, staff, building
    ):
        content = xlsx_file(
            [
                resident_row(
                    building=1,
                    unit=2,
                    room=1203,
                    birth_date=datetime.date(1941, 5, 2),
                    care_level=4.0,
                )
            ]
        )

        register_import(compound=compound, content=content, filename="r.xlsx", by=staff)

        resident = Resident.objects.select_related("household").get()
        assert (resident.household.unit, resident.household.room) == (2, "1203")
        assert (resident.birth_date, resident.care_level) == (datetime.date(1941, 5, 2), 4)

    def test_it_reads_special_needs_by_their_english_labels(self, compound, staff, building):
        rows = [
            resident_row(name=f"居民{index}", needs=str(label))
            for index, (_code, label) in enumerate(Need.choices)
        ]
        with override("en"):
            content = csv_file(rows)

        register_import(compound=compound, content=content, filename="r.csv", by=staff)

        assert sorted(code for r in Resident.objects.all() for code in r.need_codes) == sorted(
            Need.values
        )

    def test_it_reads_special_needs_by_their_chinese_labels(self, compound, staff, building):
        skip_unless_translated(Need.DIALYSIS.label)
        rows = [
            resident_row(name=f"居民{index}", needs=chinese(label))
            for index, (_code, label) in enumerate(Need.choices)
        ]
        rows.append(
            resident_row(
                name="两项",
                needs=f"{chinese(Need.DIALYSIS.label)}、{chinese(Need.PREGNANT.label)}",
            )
        )

        register_import(compound=compound, content=csv_file(rows), filename="r.csv", by=staff)

        assert sorted(code for r in Resident.objects.all() for code in r.need_codes) == sorted(
            [*Need.values, "dialysis", "pregnant"]
        )

    def test_it_reads_chinese_headers(self, compound, staff, good_rows):
        skip_unless_translated(COLUMNS[0].label)
        headers = [chinese(column.label) for column in COLUMNS]

        result = register_import(
            compound=compound,
            content=csv_file(good_rows, headers=headers, encoding="gb18030"),
            filename="登记表.csv",
            by=staff,
        )

        assert result.residents_created == 3
        assert register(compound) == sorted(GOOD_REGISTER)

    def test_it_reads_headers_in_any_order_and_case(self, compound, staff, building):
        content = "NAME,room,Unit,BUILDING\n张秀英,101,1,1\n".encode()

        register_import(compound=compound, content=content, filename="r.csv", by=staff)

        assert register(compound) == [("1", 1, "101", "", "张秀英", "", None, "", (), 0, "")]

    def test_it_adds_only_to_the_chosen_compound(self, compound, other_building, staff, building):
        register_import(
            compound=compound, content=csv_file([resident_row()]), filename="r.csv", by=staff
        )

        assert Household.objects.get().building == building
        assert not other_building.households.exists()

    def test_it_keeps_tabs_line_breaks_and_backslashes_in_a_cell_as_written(
        self, compound, staff, building
    ):
        notes = "耳背\t需敲门\n二楼 \\N C:\\门禁\r\n"
        content = xlsx_file([resident_row(notes=notes, phone="", birth_date="")])

        register_import(compound=compound, content=content, filename="r.xlsx", by=staff)

        resident = Resident.objects.get()
        assert (resident.notes, resident.phone, resident.birth_date) == (notes.strip(), "", None)

    def test_it_skips_empty_lines(self, compound, staff, building):
        content = csv_file([resident_row(), {}, resident_row(name="王建国")])

        result = register_import(compound=compound, content=content, filename="r.csv", by=staff)

        assert result.residents_created == 2


class TestImportingAgain:
    def test_it_creates_nothing_new_when_the_same_file_is_imported_twice(
        self, compound, staff, street_staff, good_rows
    ):
        content = csv_file(good_rows)
        register_import(compound=compound, content=content, filename="r.csv", by=staff)

        again = register_import(
            compound=compound, content=content, filename="r.csv", by=street_staff
        )

        assert again == ImportResult()
        assert register(compound) == sorted(GOOD_REGISTER)
        assert Household.objects.count() == 2
        assert {(r.created_by, r.updated_by) for r in Resident.objects.all()} == {(staff, staff)}

    def test_it_updates_only_the_residents_whose_row_changed(
        self, compound, staff, street_staff, good_rows
    ):
        register_import(compound=compound, content=csv_file(good_rows), filename="r.csv", by=staff)
        good_rows[0]["care_level"] = "5"
        good_rows[1]["needs"] = "dialysis"

        again = register_import(
            compound=compound, content=csv_file(good_rows), filename="r.csv", by=street_staff
        )

        assert again == ImportResult(residents_updated=2)
        updated_by = {r.name: r.updated_by for r in Resident.objects.all()}
        assert updated_by == {"张秀英": street_staff, "王建国": street_staff, "李浩然": staff}
        changed = {r.name: (r.care_level, r.need_codes) for r in Resident.objects.all()}
        assert changed["张秀英"] == (5, ["chronic_medication", "elderly_alone"])
        assert changed["王建国"] == (0, ["dialysis"])

    def test_it_updates_residents_already_registered(self, compound, staff, household):
        resident = ResidentFactory(
            household=household, name="张秀英", care_level=1, needs=["dialysis", "disabled"]
        )
        content = csv_file(
            [
                resident_row(
                    household_phone="13700000000", care_level="5", needs="chronic_medication"
                )
            ]
        )

        result = register_import(compound=compound, content=content, filename="r.csv", by=staff)

        assert result == ImportResult(households_updated=1, residents_updated=1)
        resident = Resident.objects.select_related("household").get(pk=resident.pk)
        assert (resident.care_level, resident.need_codes) == (5, ["chronic_medication"])
        assert resident.household.contact_phone == "13700000000"
        assert resident.household.updated_by == staff

    def test_it_keeps_the_household_phone_when_the_file_gives_none(
        self, compound, staff, household
    ):
        register_import(
            compound=compound, content=csv_file([resident_row()]), filename="r.csv", by=staff
        )

        household.refresh_from_db()
        assert household.contact_phone == "13800138000"


class TestBadFiles:
    def test_it_reports_every_bad_row_and_imports_nothing(self, compound, staff, building):
        rows = [
            resident_row(household_phone="13800138000"),  # row 2, good
            resident_row(building="99", name="甲"),
            resident_row(unit="3", name="乙"),
            resident_row(birth_date="1990-13-45", name="丙"),
            resident_row(sex="X", name="丁"),
            resident_row(needs="elderly_alone; flying", name="戊"),
            resident_row(care_level="7", name="己"),
            resident_row(),  # row 9: the resident of row 2 again
            resident_row(household_phone="13700000000", name="庚"),
            resident_row(name=""),
            resident_row(phone="call me", name="辛"),
        ]

        found = problems(compound, staff, csv_file(rows))

        assert found == [
            (3, "Building", "No building labelled 99 in 胜利花园."),
            (4, "Unit", "Unit must be a whole number from 1 to 2."),
            (5, "Birth date", "Write the date as YYYY-MM-DD."),
            (6, "Sex", "Write F or M (女 or 男)."),
            (7, "Special needs", "Unknown special need: flying."),
            (8, "Care level", "Care level must be a whole number from 0 to 6."),
            (9, "Name", "The same resident is already on row 2."),
            (11, "Name", "This field is required."),
            (
                12,
                "Phone",
                "Enter a phone number of digits, optionally with spaces, dashes or a leading +.",
            ),
            (10, "Household phone", "Another household phone was given on row 2."),
        ]
        assert not Household.objects.exists()
        assert not Resident.objects.exists()

    def test_it_says_how_many_problems_the_file_has(self, compound, staff, building):
        content = csv_file([resident_row(unit="9"), resident_row(name="乙", sex="?")])

        with override("en"), pytest.raises(RegisterImportRejected) as rejection:
            register_import(compound=compound, content=content, filename="r.csv", by=staff)

        assert rejection.value.message == "The file was not imported: 2 problems."

    @pytest.mark.parametrize(
        ("values", "column", "message"),
        [
            ({"unit": "abc"}, "Unit", "Unit must be a whole number from 1 to 2."),
            ({"unit": "0"}, "Unit", "Unit must be a whole number from 1 to 2."),
            ({"unit": "1.5"}, "Unit", "Unit must be a whole number from 1 to 2."),
            ({"room": ""}, "Room", "This field is required."),
            ({"room": "1" * 21}, "Room", "The room is longer than 20 characters."),
            ({"name": "张" * 61}, "Name", "The name is longer than 60 characters."),
            (
                {"birth_date": "2999-01-01"},
                "Birth date",
                "The birth date must be between 1900 and today.",
            ),
            ({"birth_date": "02/05/1941"}, "Birth date", "Write the date as YYYY-MM-DD."),
            ({"care_level": "-1"}, "Care level", "Care level must be a whole number from 0 to 6."),
            ({"care_level": "高"}, "Care level", "Care level must be a whole number from 0 to 6."),
        ],
    )
    def test_it_says_what_is_wrong_with_a_cell(
        self, compound, staff, building, values, column, message
    ):
        content = csv_file([resident_row(), resident_row(**{"name": "王建国", **values})])

        assert problems(compound, staff, content) == [(3, column, message)]
        assert not Resident.objects.exists()

    def test_it_counts_rows_as_the_spreadsheet_shows_them(self, compound, staff, building):
        content = xlsx_file([resident_row(), {}, resident_row(name="王建国", sex="?")])

        assert problems(compound, staff, content, "r.xlsx") == [
            (4, "Sex", "Write F or M (女 or 男).")
        ]

    def test_it_counts_a_blank_line_of_a_csv_file_as_a_row(self, compound, staff, building):
        lines = csv_file([resident_row()]) + b"\r\n" + "1,1,102,,王建国,,,?\r\n".encode()

        assert problems(compound, staff, lines) == [(4, "Sex", "Write F or M (女 or 男).")]

    def test_it_refuses_a_household_in_a_building_of_another_compound(
        self, compound, staff, other_compound, other_building
    ):
        BuildingFactory(compound=other_compound, label="7")

        assert problems(compound, staff, csv_file([resident_row(building="7")])) == [
            (2, "Building", "No building labelled 7 in 胜利花园.")
        ]

    def test_it_names_an_unknown_column(self, compound, staff, building):
        content = csv_file([resident_row()], headers=[*ENGLISH_HEADERS, "Floor"])

        assert problems(compound, staff, content) == [(1, "Floor", "Unknown column.")]

    def test_it_names_a_missing_required_column(self, compound, staff, building):
        headers = [h if h != "Room" else "" for h in ENGLISH_HEADERS]

        assert problems(compound, staff, csv_file([resident_row()], headers=headers)) == [
            (1, "Room", "This required column is missing.")
        ]

    def test_it_names_a_column_given_twice(self, compound, staff, building):
        headers = [h if h != "Notes" else "Name" for h in ENGLISH_HEADERS]

        assert problems(compound, staff, csv_file([resident_row()], headers=headers)) == [
            (1, "Name", "This column appears twice.")
        ]

    def test_it_refuses_a_file_with_no_rows(self, compound, staff, building):
        assert problems(compound, staff, csv_file([])) == [(2, "", "The file has no rows.")]

    @pytest.mark.parametrize(
        ("filename", "content", "message"),
        [
            (
                "register.txt",
                b"building,unit,room,name\n1,1,101,x\n",
                "Upload a .csv or .xlsx file.",
            ),
            ("register", b"", "Upload a .csv or .xlsx file."),
            (
                "register.xlsx",
                b"PK\x03\x04 not really a workbook",
                "This is not a readable XLSX file.",
            ),
            ("register.xlsx", csv_file([resident_row()]), "This is not a readable XLSX file."),
            (
                "register.csv",
                "楼栋,单元,房号,姓名\n1,1,101,张秀英\n".encode("utf-16"),
                "The CSV file is neither UTF-8 nor GB18030.",
            ),
        ],
        ids=["txt", "no-extension", "corrupt-xlsx", "csv-named-xlsx", "utf-16"],
    )
    def test_it_refuses_a_file_it_cannot_read(self, compound, staff, filename, content, message):
        assert problems(compound, staff, content, filename) == [(0, "", message)]

    def test_it_reads_missing_trailing_cells_as_empty(self, compound, staff, building):
        content = "Building,Unit,Room,Name,Notes\n1,1,101,张秀英\n1,1,102\n".encode()

        assert problems(compound, staff, content) == [(3, "Name", "This field is required.")]

    def test_it_reports_problems_in_the_users_language(self, compound, staff, building):
        unknown_column = gettext_lazy("Unknown column.")
        skip_unless_translated(unknown_column)
        content = csv_file([resident_row(sex="?")], headers=[*ENGLISH_HEADERS, "Floor"])

        with override("zh-hans"), pytest.raises(RegisterImportRejected) as in_chinese:
            register_import(compound=compound, content=content, filename="r.csv", by=staff)
        in_english = problems(compound, staff, content)

        assert in_english == [(1, "Floor", "Unknown column.")]
        [error] = in_chinese.value.errors
        assert (error.row, error.column) == (1, "Floor")
        assert error.message == chinese(unknown_column) != "Unknown column."

    def test_it_names_a_missing_column_in_the_users_language(self, compound, staff, building):
        skip_unless_translated(COLUMNS[2].label)
        headers = [h if h != "Room" else "" for h in ENGLISH_HEADERS]

        with override("zh-hans"), pytest.raises(RegisterImportRejected) as rejection:
            register_import(
                compound=compound,
                content=csv_file([resident_row()], headers=headers),
                filename="r.csv",
                by=staff,
            )

        assert [error.column for error in rejection.value.errors] == [chinese(COLUMNS[2].label)]


@pytest.fixture
def as_staff(client, staff):
    client.force_login(staff)
    return client


def upload(content: bytes, filename: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(filename, content)


class TestImportPage:
    url = "/admin/residents/resident/import/"

    def test_it_is_the_admin_url_named_for_import(self):
        assert reverse("admin:residents_resident_import") == self.url

    def test_it_offers_the_form_and_the_templates(self, as_staff, compound):
        response = as_staff.get(self.url)

        assert response.status_code == 200
        assert set(response.context["form"].fields) == {"compound", "file"}
        content = response.content.decode()
        assert reverse("admin:residents_resident_import_template", args=["xlsx"]) in content
        assert reverse("admin:residents_resident_import_template", args=["csv"]) in content

    def test_it_imports_a_good_file_and_says_what_it_did(self, as_staff, compound, good_rows):
        response = as_staff.post(
            self.url,
            {"compound": compound.pk, "file": upload(csv_file(good_rows), "r.csv")},
            HTTP_ACCEPT_LANGUAGE="en",
        )

        assert response.status_code == 302
        assert response["Location"] == reverse("admin:residents_resident_changelist")
        assert [str(m) for m in get_messages(response.wsgi_request)] == [
            "Imported: 2 households created, 0 updated; 3 residents created, 0 updated."
        ]
        assert register(compound) == sorted(GOOD_REGISTER)

    def test_it_lists_the_problems_of_a_bad_file_and_imports_nothing(
        self, as_staff, compound, building
    ):
        content = csv_file([resident_row(unit="7"), resident_row(name="王建国", sex="X")])

        response = as_staff.post(
            self.url,
            {"compound": compound.pk, "file": upload(content, "r.csv")},
            HTTP_ACCEPT_LANGUAGE="en",
        )

        assert response.status_code == 200
        assert [(e.row, e.column) for e in response.context["errors"]] == [
            (2, "Unit"),
            (3, "Sex"),
        ]
        page = response.content.decode()
        assert 'id="import-errors"' in page
        assert "Write F or M (女 or 男)." in page
        assert not Household.objects.exists()

    @pytest.mark.parametrize(
        ("filename", "content", "message"),
        [
            ("notes.txt", b"hello", "Upload a .csv or .xlsx file."),
            ("register.xlsx", b"garbage", "This is not a readable XLSX file."),
        ],
    )
    def test_it_explains_a_file_it_cannot_read(
        self, as_staff, compound, filename, content, message
    ):
        response = as_staff.post(
            self.url,
            {"compound": compound.pk, "file": upload(content, filename)},
            HTTP_ACCEPT_LANGUAGE="en",
        )

        assert response.status_code == 200
        assert [error.message for error in response.context["errors"]] == [message]
        assert message in response.content.decode()
        assert not Household.objects.exists()

    def test_it_refuses_an_empty_upload(self, as_staff, compound):
        response = as_staff.post(
            self.url, {"compound": compound.pk, "file": upload(b"", "empty.csv")}
        )

        assert response.status_code == 200
        assert "file" in response.context["form"].errors
        assert not Household.objects.exists()

    def test_it_refuses_a_file_over_the_size_limit_before_reading_it(
        self, as_staff, compound, settings
    ):
        settings.IMPORT_MAX_MEGABYTES = 1
        content = csv_file([resident_row()]) + b"\n" * (1024 * 1024)

        response = as_staff.post(
            self.url,
            {"compound": compound.pk, "file": upload(content, "r.csv")},
            HTTP_ACCEPT_LANGUAGE="en",
        )

        assert response.status_code == 200
        assert response.context["form"].errors["file"] == [
            "The file is 1.0 MB; at most 1 MB. Split it by building."
        ]
        assert not Household.objects.exists()

    def test_it_lists_the_first_problems_of_a_very_bad_file_and_counts_the_rest(
        self, as_staff, compound, building, settings
    ):
        settings.IMPORT_ERRORS_SHOWN = 3
        content = csv_file([resident_row(unit="7", room=str(100 + n)) for n in range(10)])

        response = as_staff.post(
            self.url,
            {"compound": compound.pk, "file": upload(content, "r.csv")},
            HTTP_ACCEPT_LANGUAGE="en",
        )

        assert response.status_code == 200
        assert len(response.context["errors"]) == 3
        page = response.content.decode()
        assert "10 problems" in page
        assert "… and 7 more problems: correct these first." in page
        assert page.count("<tr><td>") == 3

    def test_it_imports_nothing_into_another_committees_compound(
        self, as_staff, compound, other_compound, other_building
    ):
        response = as_staff.post(
            self.url,
            {"compound": other_compound.pk, "file": upload(csv_file([resident_row()]), "r.csv")},
        )

        assert response.status_code == 200
        assert "compound" in response.context["form"].errors
        assert not Household.objects.exists()

    def test_it_keeps_volunteers_out(self, client, volunteer, compound):
        client.force_login(volunteer)

        response = client.get(self.url)

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


class TestTemplate:
    @pytest.mark.parametrize("file_format", ["xlsx", "csv"])
    def test_it_offers_a_template_with_the_import_columns_that_imports_back(
        self, as_staff, compound, staff, building, file_format
    ):
        response = as_staff.get(
            reverse("admin:residents_resident_import_template", args=[file_format]),
            HTTP_ACCEPT_LANGUAGE="en",
        )

        assert response.status_code == 200
        assert response["Content-Type"].startswith(
            XLSX_TYPE if file_format == "xlsx" else "text/csv"
        )
        assert f'filename="residents-template.{file_format}"' in response["Content-Disposition"]
        headers, *rows = read_back(response.content, file_format)
        assert headers == ENGLISH_HEADERS
        assert len(rows) == 1

        result = register_import(
            compound=compound,
            content=response.content,
            filename=f"template.{file_format}",
            by=staff,
        )

        assert result == ImportResult(households_created=1, residents_created=1)
        [resident] = register(compound)
        assert resident[4] == "张秀英"
        assert resident[8] == ("chronic_medication", "elderly_alone")

    def test_it_writes_the_template_headers_in_the_users_language(
        self, as_staff, compound, staff, building
    ):
        skip_unless_translated(COLUMNS[0].label)

        response = as_staff.get(
            reverse("admin:residents_resident_import_template", args=["csv"]),
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )

        headers, _example = read_back(response.content, "csv")
        assert headers == [chinese(column.label) for column in COLUMNS]
        register_import(compound=compound, content=response.content, filename="t.csv", by=staff)
        assert Resident.objects.get().name == "张秀英"

    def test_it_explains_each_column_and_lists_the_special_needs(self, as_staff):
        response = as_staff.get(
            reverse("admin:residents_resident_import_template", args=["xlsx"]),
            HTTP_ACCEPT_LANGUAGE="en",
        )

        book = openpyxl.load_workbook(io.BytesIO(response.content))
        assert book.sheetnames == ["Residents", "Columns", "Special needs"]
        explained = [row[0] for row in book["Columns"].iter_rows(min_row=2, values_only=True)]
        assert explained == ENGLISH_HEADERS
        codes = [row[0] for row in book["Special needs"].iter_rows(min_row=2, values_only=True)]
        assert codes == Need.values


class TestExport:
    @pytest.fixture
    def registered(self, household, building, tower):
        ResidentFactory(
            household=household,
            name="张秀英",
            phone="13900139000",
            birth_date=datetime.date(1941, 5, 2),
            sex="F",
            care_level=3,
            notes='耳背, 需敲门 "大声"',
            needs=["elderly_alone", "chronic_medication"],
        )
        ResidentFactory(household=household, name="王建国", sex="M", needs=["dialysis"])
        ResidentFactory(
            household=HouseholdFactory(building=tower, unit=3, room="1203", contact_phone=""),
            name="李一诺",
            birth_date=None,
            sex="",
            needs=["infant", "foreign_language"],
        )
        return Resident.objects.all()

    @pytest.mark.parametrize("file_format", ["xlsx", "csv"])
    @pytest.mark.parametrize("language", ["en", "zh-hans"])
    def test_it_exports_residents_in_a_file_that_imports_back(
        self,
        client,
        street_staff,
        compound,
        other_compound,
        registered,
        file_format,
        language,
    ):
        BuildingFactory(compound=other_compound, label="1", units=2)
        BuildingFactory(compound=other_compound, label="2", units=3)
        client.force_login(street_staff)

        response = client.post(
            reverse("admin:residents_resident_changelist"),
            {
                "action": f"export_{file_format}",
                ACTION_CHECKBOX_NAME: [resident.pk for resident in registered],
            },
            HTTP_ACCEPT_LANGUAGE=language,
        )

        assert response.status_code == 200
        assert f'filename="residents.{file_format}"' in response["Content-Disposition"]
        with override(language):
            result = register_import(
                compound=other_compound,
                content=response.content,
                filename=f"export.{file_format}",
                by=street_staff,
            )
        assert result == ImportResult(households_created=2, residents_created=3)
        assert register(other_compound) == register(compound)

    def test_it_exports_only_the_selected_residents_in_scope(
        self, as_staff, registered, other_resident
    ):
        chosen = [registered[0].pk, other_resident.pk]

        response = as_staff.post(
            reverse("admin:residents_resident_changelist"),
            {"action": "export_csv", ACTION_CHECKBOX_NAME: chosen},
            HTTP_ACCEPT_LANGUAGE="en",
        )

        _headers, *rows = read_back(response.content, "csv")
        assert [row[KEYS.index("name")] for row in rows] == [registered[0].name]


class TestHistory:
    """The import writes the field history as any edit does: created rows, the old phone of a
    changed household, the old tags of a re-tagged resident, all by the importing staff."""

    def test_it_records_what_it_created_and_what_it_changed(self, compound, building, staff):
        first = [
            resident_row(household_phone="13900001111", needs="Disabled"),
            resident_row(name="王建国", room="102"),
        ]
        register_import(compound=compound, content=csv_file(first), filename="r.csv", by=staff)
        household = Household.objects.get(room="101")
        resident = Resident.objects.get(name="张秀英")
        assert [(h.history_type, h.history_user) for h in household.history.all()] == [("+", staff)]
        assert Resident.history.filter(history_type="+").count() == 2
        assert ResidentNeed.history.filter(resident_id=resident.pk, history_type="+").count() == 1

        second = [
            resident_row(household_phone="13900002222", needs="Dialysis"),
            resident_row(name="王建国", room="102"),
        ]
        register_import(compound=compound, content=csv_file(second), filename="r.csv", by=staff)

        phones = [
            (h.history_type, h.contact_phone, h.history_user)
            for h in household.history.order_by("history_date", "history_id")
        ]
        assert phones == [("+", "13900001111", staff), ("~", "13900002222", staff)]
        tags = sorted(
            (h.history_type, h.need) for h in ResidentNeed.history.filter(resident_id=resident.pk)
        )
        assert tags == [("+", "dialysis"), ("+", "disabled"), ("-", "disabled")]
        assert Resident.history.filter(name="王建国").count() == 1  # unchanged: no new version
