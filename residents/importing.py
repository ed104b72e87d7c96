"""Import and export of households and residents, one resident a row, in CSV or XLSX.

A file imports whole or not at all: every bad row is reported with its row number (as the
spreadsheet shows it, the header being row 1), its column and the reason, in the user's
language. Households are found or created by building, unit and room; a resident already in
the household under the same name is updated, so importing the same file twice is harmless.
"""

import datetime
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import tablib
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, override

from core.exceptions import ApplicationError
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


def _read(content: bytes, filename: str) -> tablib.Dataset:
    if filename.lower().endswith(".xlsx"):
        try:
            return tablib.Dataset().load(io.BytesIO(content), format="xlsx")
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
            return tablib.Dataset().load(text, format="csv")
        except Exception as exc:
            raise RegisterImportRejected(
                [RowError(0, "", _("This is not a readable CSV file."))]
            ) from exc
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
    for date_format in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(_cell(value), date_format).date()
        except ValueError:
            continue
    raise ValueError


def register_import(*, compound: Compound, content: bytes, filename: str, by: User) -> ImportResult:
    """Import households and residents into `compound`, all rows or none."""
    dataset = _read(content, filename)
    errors: list[RowError] = []
    headers = [_cell(header) for header in (dataset.headers or [])]
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
    if not len(dataset):
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

    for offset, values in enumerate(dataset):
        number = offset + 2
        if all(_cell(value) == "" for value in values):
            continue
        raw = {key: values[index] for key, index in column_at.items()}
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
                try:
                    phone_validator(text[key])
                except ValidationError as exc:
                    fail(key, exc.messages[0])
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
    result = ImportResult()
    households = {
        (h.building_id, h.unit, h.room): h
        for h in Household.objects.select_for_update().filter(building__compound=compound)
    }
    new_households = []
    changed_households = []
    for key in dict.fromkeys(row.household_key for row in rows):
        household = households.get(key)
        phone = phones.get(key, "")
        if household is None:
            household = Household(
                building_id=key[0],
                unit=key[1],
                room=key[2],
                contact_phone=phone,
                created_by=by,
                updated_by=by,
            )
            households[key] = household
            new_households.append(household)
        elif phone and household.contact_phone != phone:
            household.contact_phone = phone
            household.updated_by = by
            changed_households.append(household)
    Household.objects.bulk_create(new_households, batch_size=1000)
    now = timezone.now()
    for household in changed_households:
        household.updated_at = now
    Household.objects.bulk_update(
        changed_households, ["contact_phone", "updated_by", "updated_at"], batch_size=1000
    )
    result.households_created = len(new_households)
    result.households_updated = len(changed_households)

    # Whole-compound reads: no IN list grows with the file (SQLite caps bound parameters).
    existing = {
        (resident.household_id, resident.name): resident
        for resident in Resident.objects.filter(household__building__compound=compound)
    }
    existing_needs: dict[int, set[str]] = {}
    for resident_id, need in ResidentNeed.objects.filter(
        resident__household__building__compound=compound
    ).values_list("resident_id", "need"):
        existing_needs.setdefault(resident_id, set()).add(need)

    new_residents, changed_residents, needs_of, retagged = [], [], [], []
    for row in rows:
        household = households[row.household_key]
        resident = existing.get((household.pk, row.resident["name"]))
        if resident is None:
            resident = Resident(household=household, created_by=by, updated_by=by, **row.resident)
            new_residents.append(resident)
            needs_of.append((resident, row.needs))
            continue
        needs_changed = existing_needs.get(resident.pk, set()) != row.needs
        if needs_changed:
            retagged.append(resident.pk)
            needs_of.append((resident, row.needs))
        fields_changed = any(getattr(resident, k) != v for k, v in row.resident.items())
        if fields_changed or needs_changed:
            for name, value in row.resident.items():
                setattr(resident, name, value)
            resident.updated_by = by
            resident.updated_at = now
            changed_residents.append(resident)
    Resident.objects.bulk_create(new_residents, batch_size=1000)
    Resident.objects.bulk_update(
        changed_residents,
        [*IMPORTED_RESIDENT_FIELDS, "updated_by", "updated_at"],
        batch_size=500,
    )
    for start in range(0, len(retagged), 500):
        ResidentNeed.objects.filter(resident__in=retagged[start : start + 500]).delete()
    ResidentNeed.objects.bulk_create(
        [
            ResidentNeed(resident=resident, need=need)
            for resident, needs in needs_of
            for need in sorted(needs)
        ],
        batch_size=2000,
    )
    result.residents_created = len(new_residents)
    result.residents_updated = len(changed_residents)
    return result


def _headers() -> list[str]:
    return [str(column.label) for column in COLUMNS]


def _dataset_bytes(dataset: tablib.Dataset, file_format: str) -> bytes:
    exported = dataset.export(file_format)
    # BOM so that Excel opens the Chinese text of a CSV correctly.
    return ("\ufeff" + exported).encode("utf-8") if file_format == "csv" else exported


def register_template(*, file_format: str) -> bytes:
    """The column template in the user's language: headers and one example row; the XLSX
    has a second sheet explaining each column and listing the special needs."""
    rows = tablib.Dataset(_example_row(), headers=_headers(), title=_("Residents"))
    if file_format == "csv":
        return _dataset_bytes(rows, "csv")
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
    return tablib.Databook((rows, guide, needs)).export("xlsx")


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
    return _dataset_bytes(dataset, file_format)


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
    return dataset.export("xlsx")
