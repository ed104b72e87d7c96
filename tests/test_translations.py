"""The translation catalogues: zh-hans complete, compiled in step with its .po, placeholders kept.

The .po files are read with polib, so that no gettext tools are needed to run these tests; the
.mo files are read with the standard library.
Each check is a function returning the problems it finds, and is also run against a deliberately
broken catalogue, so that a check which could never fail would be noticed.
"""

import gettext
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

from residents.importing import COLUMNS, NEEDS_SEPARATORS
from residents.models import ClosureLevel, Need

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
ZH_PO = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"
EN_PO = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def label(self) -> str:
        context = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return f"line {self.line}: {context}{self.msgid!r}"

    @property
    def translations(self) -> list[str]:
        if self.msgid_plural is None:
            return [self.msgstr]
        return [self.msgstr_plural[index] for index in sorted(self.msgstr_plural)]


def parse_po(text: str) -> tuple[dict[str, str], list[Entry]]:
    """The header fields and the live entries of a .po file (obsolete `#~` entries skipped)."""
    catalogue = polib.pofile(text)
    entries = [
        Entry(
            msgid=entry.msgid,
            msgctxt=entry.msgctxt,
            msgid_plural=entry.msgid_plural or None,
            msgstr=entry.msgstr,
            msgstr_plural={int(index): text for index, text in entry.msgstr_plural.items()},
            flags=set(entry.flags),
            line=entry.linenum,
        )
        for entry in catalogue
        if not entry.obsolete
    ]
    return dict(catalogue.metadata), entries


def read_po(path: Path) -> tuple[dict[str, str], list[Entry]]:
    return parse_po(path.read_text(encoding="utf-8"))


def nplurals(header: dict[str, str]) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", header.get("Plural-Forms", ""))
    assert match, "the catalogue has no Plural-Forms header"
    return int(match.group(1))


def plural_function(header: dict[str, str]):
    match = re.search(r"plural\s*=\s*([^;]+)", header["Plural-Forms"])
    return gettext.c2py(match.group(1).strip())


# %(name)s, %(count)d, %s, %5.2f …; `%%` is a literal percent sign and is left out.
PERCENT = re.compile(r"%(?:\((\w+)\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?([diouxXeEfFgGcrsa%])")
BRACES = re.compile(r"(?<!\{)\{(\w*)(?:[!:][^{}]*)?\}(?!\})")


def placeholders(text: str, python_format: bool) -> Counter:
    found = Counter()
    for match in PERCENT.finditer(text):
        name, conversion = match.groups()
        if conversion == "%":
            continue
        if name is not None:
            found[f"%({name}){conversion}"] += 1
        elif python_format:  # an unnamed `% d` in plain prose is no placeholder
            found[f"%{conversion}"] += 1
    for match in BRACES.finditer(text):
        found["{" + match.group(1) + "}"] += 1
    return found


def untranslated_or_fuzzy(header: dict[str, str], entries: list[Entry]) -> list[str]:
    forms = nplurals(header)
    problems = []
    for entry in entries:
        if "fuzzy" in entry.flags:
            problems.append(f"{entry.label} is fuzzy")
        if entry.msgid_plural is not None and sorted(entry.msgstr_plural) != list(range(forms)):
            problems.append(
                f"{entry.label} has plural forms {sorted(entry.msgstr_plural)}, "
                f"the language has {forms}"
            )
        if not all(text.strip() for text in entry.translations):
            problems.append(f"{entry.label} is not translated")
    return problems


def placeholder_mismatches(entries: list[Entry]) -> list[str]:
    problems = []
    for entry in entries:
        python_format = "python-format" in entry.flags
        expected = placeholders(entry.msgid, python_format)
        if entry.msgid_plural is not None:
            # A singular may spell the number out ("One building"); the plural has them all.
            expected = expected | placeholders(entry.msgid_plural, python_format)
        for text in entry.translations:
            if text and placeholders(text, python_format) != expected:
                problems.append(
                    f"{entry.label}: {sorted(placeholders(text, python_format).elements())} "
                    f"in {text!r}, expected {sorted(expected.elements())}"
                )
    return problems


def mo_mismatches(header: dict[str, str], entries: list[Entry], mo_path: Path) -> list[str]:
    """Every translated entry of the .po must come out of the .mo unchanged."""
    if not mo_path.exists():
        return [f"{mo_path} is missing: run compilemessages"]
    with mo_path.open("rb") as file:
        catalogue = gettext.GNUTranslations(file)
    plural = plural_function(header)
    problems = []
    for entry in entries:
        if "fuzzy" in entry.flags or not all(entry.translations):
            continue  # msgfmt leaves these out; the completeness check reports them
        if entry.msgid_plural is None:
            if entry.msgctxt is None:
                got = catalogue.gettext(entry.msgid)
            else:
                got = catalogue.pgettext(entry.msgctxt, entry.msgid)
            if got != entry.msgstr:
                problems.append(f"{entry.label}: the .mo says {got!r}, the .po {entry.msgstr!r}")
            continue
        for n in range(0, 201):
            if entry.msgctxt is None:
                got = catalogue.ngettext(entry.msgid, entry.msgid_plural, n)
            else:
                got = catalogue.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
            want = entry.msgstr_plural.get(plural(n))
            if got != want:
                problems.append(f"{entry.label} for n={n}: the .mo says {got!r}, the .po {want!r}")
                break
    return problems


@pytest.fixture(scope="module")
def zh():
    return read_po(ZH_PO)


def test_catalogues_exist_with_their_plural_rules():
    zh_header, zh_entries = read_po(ZH_PO)
    en_header, _ = read_po(EN_PO)
    assert zh_entries, "the zh-hans catalogue is empty: run makemessages"
    assert zh_header["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"
    assert nplurals(en_header) == 2


def test_zh_hans_is_complete_and_not_fuzzy(zh):
    header, entries = zh
    problems = untranslated_or_fuzzy(header, entries)
    assert not problems, "\n".join(problems)


def test_zh_hans_keeps_every_placeholder(zh):
    _, entries = zh
    problems = placeholder_mismatches(entries)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("po_path", [ZH_PO, EN_PO], ids=["zh_Hans", "en"])
def test_compiled_catalogue_matches_its_po(po_path):
    header, entries = read_po(po_path)
    problems = mo_mismatches(header, entries, po_path.with_suffix(".mo"))
    assert not problems, "run compilemessages:\n" + "\n".join(problems)


def test_key_terms_in_zh_hans():
    with translation.override("zh-hans"):
        assert translation.gettext("Sealed") == "封控"
        assert translation.gettext("Controlled") == "管控"
        assert translation.gettext("Precaution") == "防范"
        assert translation.gettext("Group leader") == "团长"
        assert translation.gettext("Volunteer") == "志愿者"
        assert translation.gettext("Elderly living alone") == "独居老人"
        assert str(ClosureLevel.SEALED.label) == "封控"
        assert (
            translation.ngettext("%(counter)s household", "%(counter)s households", 3)
            % {"counter": 3}
            == "3 户"
        )


def test_english_stays_the_source_text():
    with translation.override("en"):
        assert translation.gettext("Sealed") == "Sealed"
        assert str(ClosureLevel.SEALED.label) == "Sealed"
        assert translation.ngettext("%(counter)s household", "%(counter)s households", 1) == (
            "%(counter)s household"
        )


def test_import_headers_and_need_labels_are_distinct_words_in_zh_hans():
    """The import reads headers and special needs in either language, so no two may collide."""
    with translation.override("zh-hans"):
        headers = [str(column.label) for column in COLUMNS]
        needs = [str(label) for label in Need.labels]
    for words in (headers, needs):
        assert all(re.search(r"[\u4e00-\u9fff]", word) for word in words), words
        assert len({word.strip().lower() for word in words}) == len(words), words
    assert not [word for word in needs if NEEDS_SEPARATORS.search(word)]
    assert headers == [
        "楼栋",
        "单元",
        "房号",
        "户联系电话",
        "姓名",
        "电话",
        "出生日期",
        "性别",
        "特殊需求",
        "照护等级",
        "备注",
    ]


# The checks themselves must be able to fail.

BROKEN_PO = r"""
msgid ""
msgstr ""
"Language: zh_Hans\n"
"Plural-Forms: nplurals=1; plural=0;\n"

msgid "Sealed"
msgstr "封控"

msgid "Controlled"
msgstr ""

#, fuzzy
msgid "Precaution"
msgstr "防范"

#, python-format
msgid "Unknown closure level: %(level)s."
msgstr "无法识别的防控等级：%(levle)s。"

#, python-format
msgid "%(count)d building changed closure level."
msgid_plural "%(count)d buildings changed closure level."
msgstr[0] "%(count)s 栋楼"
msgstr[1] ""

msgctxt "closure"
msgid "Open"
msgstr ""
"开"
"放"

#~ msgid "Gone"
#~ msgstr "已删"
"""


def test_parser_reads_context_plurals_continuations_and_skips_obsolete():
    header, entries = parse_po(BROKEN_PO)
    assert header["Language"] == "zh_Hans"
    by_id = {entry.msgid: entry for entry in entries}
    assert set(by_id) == {
        "Sealed",
        "Controlled",
        "Precaution",
        "Unknown closure level: %(level)s.",
        "%(count)d building changed closure level.",
        "Open",
    }
    assert by_id["Precaution"].flags == {"fuzzy"}
    assert by_id["Open"].msgctxt == "closure"
    assert by_id["Open"].msgstr == "开放"
    assert by_id["%(count)d building changed closure level."].msgstr_plural == {
        0: "%(count)s 栋楼",
        1: "",
    }


def test_checks_report_a_broken_catalogue():
    header, entries = parse_po(BROKEN_PO)
    problems = "\n".join(untranslated_or_fuzzy(header, entries))
    assert "'Controlled' is not translated" in problems
    assert "'Precaution' is fuzzy" in problems
    assert "has plural forms [0, 1], the language has 1" in problems
    assert "'Sealed'" not in problems

    mismatched = "\n".join(placeholder_mismatches(entries))
    assert "%(levle)s" in mismatched
    assert "%(count)s" in mismatched
    assert "'Sealed'" not in mismatched


def test_mo_check_reports_a_po_changed_after_compiling(zh):
    header, entries = zh
    sealed = next(entry for entry in entries if entry.msgid == "Sealed")
    changed = Entry(msgid=sealed.msgid, msgstr="封闭", line=sealed.line)
    problems = mo_mismatches(header, [changed], ZH_PO.with_suffix(".mo"))
    assert problems == [f"{changed.label}: the .mo says '封控', the .po '封闭'"]
    assert mo_mismatches(header, entries, ZH_PO.with_name("missing.mo")) != []
