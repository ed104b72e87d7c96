"""Import and export of households and residents, one resident a row, in CSV or XLSX.

A file imports whole or not at all: every bad row is reported with its row number (as the
spreadsheet shows it, the header being row 1), its column and the reason, in the user's
language. Households are found or created by building, unit and room; a resident already in
the household under the same name is updated, so importing the same file twice is harmless.
"""

import csv
import datetime
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import openpyxl
import tablib
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, override

from core.exceptions import ApplicationError
from core.history import CHANGED, CREATED, history_snapshot
from core.spreadsheets import csv_cell_read, spreadsheet_bytes, spreadsheet_csv, spreadsheet_xlsx
from residents.models import (
    Compound,
    Household,
    Need,
    Resident,
    ResidentNeed,
    Sex,
    phone_validator,
)


@dataclass(frozen=True)
class Column:
    key: str
    label: object  # lazy translation: the header in the user's language
    required: bool
    help: object


COLUMNS = (
    Column(
        "building",
        gettext_lazy("Building"),
        True,
        gettext_lazy("Label of an existing building, e.g. 12."),
    ),
    Column(
        "unit",
        gettext_lazy("Unit"),
        True,
        gettext_lazy("Unit number, from 1 to the building's units."),
    ),
    Column("room", gettext_lazy("Room"), True, gettext_lazy("Room number, e.g. 1203.")),
    Column(
        "household_phone",
        gettext_lazy("Household phone"),
        False,
        gettext_lazy("Contact phone of the household."),
    ),
    Column("name", gettext_lazy("Name"), True, gettext_lazy("Resident's full name.")),
    Column("phone", gettext_lazy("Phone"), False, gettext_lazy("Resident's own phone.")),
    Column("birth_date", gettext_lazy("Birth date"), False, gettext_lazy("YYYY-MM-DD.")),
    Column("sex", gettext_lazy("Sex"), False, gettext_lazy("F or M (女 or 男).")),
    Column(
        "needs",
        gettext_lazy("Special needs"),
        False,
        gettext_lazy("Tags separated by ; or 、, from the fixed list."),
    ),
    Column(
        "care_level",
        gettext_lazy("Care level"),
        False,
        gettext_lazy("0 (independent) to 6 (fully dependent); empty is 0."),
    ),
    Column("notes", gettext_lazy("Notes"), False, gettext_lazy("Anything staff should know.")),
)


def _example_row() -> tuple:
    """One filled-in row, written as a user of the current language would write it."""
    needs = "；".join(
        str(label) for label in (Need.ELDERLY_ALONE.label, Need.CHRONIC_MEDICATION.label)
    )
    return (
        "1",
        "1",
        "101",
        "13800138000",
        "张秀英",
        "13900139000",
        "1941-05-02",
        str(Sex.FEMALE.label),
        needs,
        "3",
        "",
    )


IMPORTED_RESIDENT_FIELDS = ("phone", "birth_date", "sex", "care_level", "notes")
NEEDS_SEPARATORS = re.compile(r"[;；,，、/]+")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
SEX_WORDS = {"女": Sex.FEMALE, "男": Sex.MALE}


def _both_languages(text) -> set[str]:
    return {_translated(text, language).strip().lower() for language in ("en", "zh-hans")}


def _translated(text, language: str) -> str:
    with override(language):
        return str(text)


def _header_keys() -> dict[str, str]:
    keys = {}
    for column in COLUMNS:
        keys[column.key] = column.key
        for header in _both_languages(column.label):
            keys[header] = column.key
    return keys


def _sex_words() -> dict[str, str]:
    words = dict(SEX_WORDS)
    for code, label in Sex.choices:
        words[code.lower()] = code
        for word in _both_languages(label):
            words[word] = code
    return words


def _need_words() -> dict[str, str]:
    words = {}
    for code, label in Need.choices:
        words[code] = code
        for word in _both_languages(label):
            words[word] = code
    return words


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    households_created: int = 0
    households_updated: int = 0
    residents_created: int = 0
    residents_updated: int = 0


class RegisterImportRejected(ApplicationError):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(
            ngettext(
                "The file was not imported: %(count)d problem.",
                "The file was not imported: %(count)d problems.",
                len(errors),
            )
            % {"count": len(errors)},
            extra={"errors": [error.__dict__ for error in errors]},
        )
        self.errors = errors


@dataclass
class _Row:
    number: int
    household_key: tuple[int, int, str]
    household_phone: str
    resident: dict
    needs: set[str] = field(default_factory=set)


def _read(content: bytes, filename: str) -> tuple[list, list[Sequence]]:
    """The header row and the rows below it, as the file holds them: an XLSX through openpyxl's
    read-only mode (values only, one pass), a CSV through the csv module."""
    if filename.lower().endswith(".xlsx"):
        try:
            book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            try:
                rows = book.active.iter_rows(values_only=True)
                headers = list(next(rows, ()))
                return headers, list(rows)
            finally:
                book.close()
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise RegisterImportRejected(
                [RowError(0, "", _("This is not a readable XLSX file."))]
            ) from exc
    if filename.lower().endswith(".csv"):
        # Excel saves CSV as UTF-8 with a BOM, or in GB18030 on a Chinese system.
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise RegisterImportRejected(
                [RowError(0, "", _("The CSV file is neither UTF-8 nor GB18030."))]
            )
        try:
            rows = csv.reader(io.StringIO(text, newline=""))
            headers = next(rows, [])
            # A cell this product wrote behind a `'` (it starts like a formula) reads back bare.
            lines = [[csv_cell_read(value) for value in line] for line in rows]
        except csv.Error as exc:
            raise RegisterImportRejected(
                [RowError(0, "", _("This is not a readable CSV file."))]
            ) from exc
        if any(len(line) > len(headers) for line in lines):  # cells under no column at all
            raise RegisterImportRejected([RowError(0, "", _("This is not a readable CSV file."))])
        return headers, lines
    raise RegisterImportRejected([RowError(0, "", _("Upload a .csv or .xlsx file."))])


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # spreadsheets turn 101 into 101.0
    return str(value).strip()


def _parse_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _cell(value)
    if ISO_DATE.fullmatch(text):  # the usual spelling, without strptime's cost
        return datetime.date(int(text[:4]), int(text[5:7]), int(text[8:]))
    for date_format in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(_cell(value), date_format).date()
        except ValueError:
            continue
    raise ValueError


def register_import(*, compound: Compound, content: bytes, filename: str, by: User) -> ImportResult:
    """Import households and residents into `compound`, all rows or none."""
    file_headers, file_rows = _read(content, filename)
    errors: list[RowError] = []
    headers = [_cell(header) for header in file_headers]
    header_keys = _header_keys()
    column_at: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = header_keys.get(header.lower())
        if key is None:
            if header:
                errors.append(RowError(1, header, _("Unknown column.")))
        elif key in column_at:
            errors.append(RowError(1, header, _("This column appears twice.")))
        else:
            column_at[key] = index
    for column in COLUMNS:
        if column.required and column.key not in column_at:
            errors.append(RowError(1, str(column.label), _("This required column is missing.")))
    if errors:
        raise RegisterImportRejected(errors)
    if not file_rows:
        raise RegisterImportRejected([RowError(2, "", _("The file has no rows."))])

    buildings = {building.label: building for building in compound.buildings.all()}
    need_words = _need_words()
    sex_words = _sex_words()
    label_of = {
        column.key: headers[index]
        for column, index in ((c, column_at[c.key]) for c in COLUMNS if c.key in column_at)
    }
    rows: list[_Row] = []
    seen_residents: dict[tuple, int] = {}
    today = timezone.localdate()
    phone_problems: dict[str, str | None] = {}  # a household's phone is on each member's row

    for offset, values in enumerate(file_rows):
        number = offset + 2
        if all(_cell(value) == "" for value in values):
            continue
        width = len(values)  # a short CSV line: the cells missing at its end are empty
        raw = {key: values[index] if index < width else "" for key, index in column_at.items()}
        text = {key: _cell(value) for key, value in raw.items()}
        row_errors: list[RowError] = []

        def fail(key: str, message: str) -> None:
            row_errors.append(RowError(number, label_of[key], message))  # noqa: B023

        for column in COLUMNS:
            if column.required and not text.get(column.key):
                fail(column.key, _("This field is required."))
        building = buildings.get(text["building"])
        if text["building"] and building is None:
            fail(
                "building",
                _("No building labelled %(label)s in %(compound)s.")
                % {"label": text["building"], "compound": compound.name},
            )
        unit = None
        if text["unit"]:
            try:
                unit = int(text["unit"])
                if unit < 1 or (building and unit > building.units):
                    raise ValueError
            except ValueError:
                fail(
                    "unit",
                    _("Unit must be a whole number from 1 to %(units)s.")
                    % {"units": building.units if building else "…"},
                )
        if len(text["room"]) > 20:
            fail("room", _("The room is longer than 20 characters."))
        if len(text["name"]) > 60:
            fail("name", _("The name is longer than 60 characters."))
        for key in ("household_phone", "phone"):
            if text.get(key):
                if text[key] not in phone_problems:
                    try:
                        phone_validator(text[key])
                        phone_problems[text[key]] = None
                    except ValidationError as exc:
                        phone_problems[text[key]] = exc.messages[0]
                if phone_problems[text[key]] is not None:
                    fail(key, phone_problems[text[key]])
        birth_date = None
        if text.get("birth_date"):
            try:
                birth_date = _parse_date(raw["birth_date"])
                if not (datetime.date(1900, 1, 1) <= birth_date <= today):
                    fail("birth_date", _("The birth date must be between 1900 and today."))
            except ValueError:
                fail("birth_date", _("Write the date as YYYY-MM-DD."))
        sex = ""
        if text.get("sex"):
            sex = sex_words.get(text["sex"].lower(), "")
            if not sex:
                fail("sex", _("Write F or M (女 or 男)."))
        needs = set()
        for word in NEEDS_SEPARATORS.split(text.get("needs", "")):
            if word.strip():
                code = need_words.get(word.strip().lower())
                if code is None:
                    fail("needs", _("Unknown special need: %(needs)s.") % {"needs": word.strip()})
                else:
                    needs.add(code)
        care_level = 0
        if text.get("care_level"):
            try:
                care_level = int(text["care_level"])
                if not 0 <= care_level <= 6:
                    raise ValueError
            except ValueError:
                fail("care_level", _("Care level must be a whole number from 0 to 6."))
        if not row_errors and building is not None:
            household_key = (building.pk, unit, text["room"])
            resident_key = (household_key, text["name"])
            if resident_key in seen_residents:
                fail(
                    "name",
                    _("The same resident is already on row %(row)d.")
                    % {"row": seen_residents[resident_key]},
                )
            seen_residents[resident_key] = number
        if row_errors:
            errors.extend(row_errors)
            continue
        rows.append(
            _Row(
                number=number,
                household_key=household_key,
                household_phone=text.get("household_phone", ""),
                resident={
                    "name": text["name"],
                    "phone": text.get("phone", ""),
                    "birth_date": birth_date,
                    "sex": sex,
                    "care_level": care_level,
                    "notes": text.get("notes", ""),
                },
                needs=needs,
            )
        )

    phones: dict[tuple, tuple[str, int]] = {}
    for row in rows:
        if not row.household_phone:
            continue
        earlier = phones.setdefault(row.household_key, (row.household_phone, row.number))
        if earlier[0] != row.household_phone:
            errors.append(
                RowError(
                    row.number,
                    label_of["household_phone"],
                    _("Another household phone was given on row %(row)d.") % {"row": earlier[1]},
                )
            )
    if errors:
        raise RegisterImportRejected(errors)
    if not rows:
        raise RegisterImportRejected([RowError(2, "", _("The file has no rows."))])
    return _apply(
        rows=rows,
        phones={key: phone for key, (phone, _row) in phones.items()},
        compound=compound,
        by=by,
    )


@transaction.atomic
def _apply(*, rows: list[_Row], phones: dict, compound: Compound, by: User) -> ImportResult:
    """Write the checked rows: new households and residents inserted in bulk, changed ones
    updated, special needs replaced where they changed. Whole-compound reads with values_list:
    no IN list grows with the file (SQLite caps bound parameters) and no model instance is
    built for a row that does not change."""
    result = ImportResult()
    now = timezone.now()
    households = {
        (building_id, unit, room): (pk, contact_phone)
        for pk, building_id, unit, room, contact_phone in Household.objects.select_for_update(
            of=("self",)
        )
        .filter(building__compound=compound)
        .values_list("pk", "building_id", "unit", "room", "contact_phone")
    }
    new_households = []
    changed_households = []
    for key in dict.fromkeys(row.household_key for row in rows):
        phone = phones.get(key, "")
        if key not in households:
            new_households.append(
                {
                    "building_id": key[0],
                    "unit": key[1],
                    "room": key[2],
                    "contact_phone": phone,
                    **_made(by, now),
                }
            )
        elif phone and households[key][1] != phone:
            changed_households.append(
                Household(pk=households[key][0], contact_phone=phone, updated_by=by, updated_at=now)
            )
    if new_households:
        _insert(Household, new_households)
        households = {
            (building_id, unit, room): (pk, contact_phone)
            for pk, building_id, unit, room, contact_phone in Household.objects.filter(
                building__compound=compound
            ).values_list("pk", "building_id", "unit", "room", "contact_phone")
        }
        history_snapshot(
            Household,
            [
                households[(row["building_id"], row["unit"], row["room"])][0]
                for row in new_households
            ],
            kind=CREATED,
            by=by,
            at=now,
        )
    Household.objects.bulk_update(
        changed_households, ["contact_phone", "updated_by", "updated_at"], batch_size=1000
    )
    history_snapshot(
        Household, [household.pk for household in changed_households], kind=CHANGED, by=by, at=now
    )
    result.households_created = len(new_households)
    result.households_updated = len(changed_households)

    compared = ("pk", "household_id", "name", *IMPORTED_RESIDENT_FIELDS)
    existing = {
        (values[1], values[2]): values
        for values in Resident.objects.filter(household__building__compound=compound)
        .order_by("household", "pk")  # of two residents of one name, the later one, as before
        .values_list(*compared)
    }
    existing_needs: dict[int, set[str]] = {}
    for resident_id, need in ResidentNeed.objects.filter(
        resident__household__building__compound=compound
    ).values_list("resident_id", "need"):
        existing_needs.setdefault(resident_id, set()).add(need)

    new_residents, new_needs, changed_residents, retagged, needs_of = [], {}, [], [], []
    for row in rows:
        household_id = households[row.household_key][0]
        key = (household_id, row.resident["name"])
        known = existing.get(key)
        if known is None:
            new_residents.append({"household_id": household_id, **row.resident, **_made(by, now)})
            if row.needs:
                new_needs[key] = row.needs
            continue
        resident_id = known[0]
        needs_changed = existing_needs.get(resident_id, set()) != row.needs
        if needs_changed:
            retagged.append(resident_id)
            needs_of.append((resident_id, row.needs))
        fields_changed = known[3:] != tuple(row.resident[name] for name in IMPORTED_RESIDENT_FIELDS)
        if fields_changed or needs_changed:
            changed_residents.append(
                Resident(pk=resident_id, **row.resident, updated_by=by, updated_at=now)
            )
    if new_residents:
        _insert(Resident, new_residents)
        history_snapshot(
            Resident,
            Resident.objects.filter(
                household__building__compound=compound, created_at=now
            ).values_list("pk", flat=True),
            kind=CREATED,
            by=by,
            at=now,
        )
    if new_needs:
        for resident_id, household_id, name in Resident.objects.filter(
            household__building__compound=compound
        ).values_list("pk", "household_id", "name"):
            if (household_id, name) in new_needs:
                needs_of.append((resident_id, new_needs.pop((household_id, name))))
    Resident.objects.bulk_update(
        changed_residents,
        [*IMPORTED_RESIDENT_FIELDS, "updated_by", "updated_at"],
        batch_size=500,
    )
    history_snapshot(
        Resident, [resident.pk for resident in changed_residents], kind=CHANGED, by=by, at=now
    )
    for start in range(0, len(retagged), 500):
        # Deleted through the model, so that the field history keeps each removed tag.
        ResidentNeed.objects.filter(resident__in=retagged[start : start + 500]).delete()
    _insert(
        ResidentNeed,
        [
            {"resident_id": resident_id, "need": need}
            for resident_id, needs in sorted(needs_of)
            for need in sorted(needs)
        ],
    )
    tagged = sorted({resident_id for resident_id, _needs in needs_of})
    for start in range(0, len(tagged), 500):
        history_snapshot(
            ResidentNeed,
            ResidentNeed.objects.filter(resident__in=tagged[start : start + 500]).values_list(
                "pk", flat=True
            ),
            kind=CREATED,
            by=by,
            at=now,
        )
    result.residents_created = len(new_residents)
    result.residents_updated = len(changed_residents)
    return result


def _made(by: User, now: datetime.datetime) -> dict:
    """Who made a row and when, for a row inserted without a model instance."""
    return {"created_by_id": by.pk, "created_at": now, "updated_by_id": by.pk, "updated_at": now}


def _insert(model: type[models.Model], rows: list[dict]) -> None:
    """INSERT rows (attribute name → value; every other column gets its field's default): what
    bulk_create does, less a model instance and a field-by-field preparation per row, which
    were most of an import's time at 40,000 residents. COPY on PostgreSQL, multi-row INSERTs
    elsewhere."""
    if not rows:
        return
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(column.column) for column in fields)
    values = _prepared(fields, rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            lines = io.StringIO()
            for row in values:
                lines.write("\t".join(_copy_text(value) for value in row))
                lines.write("\n")
            lines.seek(0)
            cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", lines)
            return
        placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
        batch = max(1, min(1000, connection.ops.bulk_batch_size(fields, rows)))
        for start in range(0, len(values), batch):
            chunk = values[start : start + batch]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES " + ", ".join([placeholders] * len(chunk)),
                [value for row in chunk for value in row],
            )


def _prepared(fields: list, rows: list[dict]) -> list[list]:
    """Each row's values in the order of `fields`, as the database driver takes them."""
    defaults = [column.get_default() for column in fields]
    names = [column.attname for column in fields]
    # Fields whose Python values the drivers take as they are; the others (dates and times:
    # SQLite wants text) are prepared by the field, once per distinct value.
    caches: list[dict | None] = [
        None if isinstance(column, _PLAIN_FIELDS) else {} for column in fields
    ]
    table = []
    for row in rows:
        values = [row.get(name, default) for name, default in zip(names, defaults, strict=True)]
        for index, cache in enumerate(caches):
            value = values[index]
            if cache is not None and value is not None:
                if value not in cache:
                    cache[value] = fields[index].get_db_prep_save(value, connection)
                values[index] = cache[value]
        table.append(values)
    return table


def _copy_text(value) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value)


_PLAIN_FIELDS = (models.CharField, models.TextField, models.IntegerField, models.ForeignKey)
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _headers() -> list[str]:
    return [str(column.label) for column in COLUMNS]


def register_template(*, file_format: str) -> bytes:
    """The column template in the user's language: headers and one example row; the XLSX
    has a second sheet explaining each column and listing the special needs."""
    rows = tablib.Dataset(_example_row(), headers=_headers(), title=_("Residents"))
    if file_format == "csv":
        return spreadsheet_csv(rows)
    guide = tablib.Dataset(
        headers=[_("Column"), _("Required"), _("What to write")], title=_("Columns")
    )
    for column in COLUMNS:
        guide.append(
            (str(column.label), _("yes") if column.required else _("no"), str(column.help))
        )
    needs = tablib.Dataset(headers=[_("Code"), _("Special need")], title=_("Special needs"))
    for code, label in Need.choices:
        needs.append((code, str(label)))
    return spreadsheet_xlsx(rows, guide, needs)


def register_export(*, residents: Iterable[Resident], file_format: str) -> bytes:
    """Residents in the import columns, so that an export can be edited and imported back."""
    dataset = tablib.Dataset(headers=_headers(), title=_("Residents"))
    labels = dict(Need.choices)
    for resident in residents:
        household = resident.household
        dataset.append(
            (
                household.building.label,
                household.unit,
                household.room,
                household.contact_phone,
                resident.name,
                resident.phone,
                resident.birth_date.isoformat() if resident.birth_date else "",
                resident.sex,
                "; ".join(str(labels[code]) for code in resident.need_codes),
                resident.care_level,
                resident.notes,
            )
        )
    return spreadsheet_bytes(dataset, file_format)


def household_logins_sheet(logins) -> bytes:
    """The logins just created, to print on slips or read out: shown this once only."""
    dataset = tablib.Dataset(
        headers=[_("Building"), _("Unit"), _("Room"), _("Username"), _("Password")],
        title=_("Logins"),
    )
    for login in logins:
        household = login.household
        dataset.append(
            (
                household.building.label,
                household.unit,
                household.room,
                login.username,
                login.password,
            )
        )
    return spreadsheet_xlsx(dataset)
