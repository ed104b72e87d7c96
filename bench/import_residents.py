"""Time to import 40,000 residents from XLSX, beside openpyxl's read of the same file alone.

Run by hand, on a scratch database that it creates and drops (test_<name> of DATABASE_URL):

    .venv/bin/python bench/import_residents.py                       # SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/import_residents.py
    .venv/bin/python bench/import_residents.py --seed-demo           # and time seed_demo large

It writes an XLSX of N residents (default 40,000) in 286 buildings with openpyxl, then --repeat
times (default 3), in turn: the floor, openpyxl's read-only read of the file alone (every row's
values, nothing else); the import into a new empty compound through `register_import` (the
service behind the admin page: read, check every row, write households, residents and their
needs); and the same file imported a second time (nothing to change). It prints the median of
each and the ratio of each import to the floor, pair by pair.
"""

import argparse
import io
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_xlsx(residents: int, buildings: int) -> bytes:
    import openpyxl
    from django.utils.translation import override

    from residents.importing import COLUMNS
    from residents.models import Need

    rng = random.Random(7)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    with override("zh-hans"):  # headers and tags as a committee writes them
        sheet.append([str(column.label) for column in COLUMNS])
        elderly_needs = f"{Need.ELDERLY_ALONE.label}；{Need.CHRONIC_MEDICATION.label}"
    row = 0
    household = 0
    while row < residents:
        household += 1
        building = household % buildings + 1
        unit = household % 3 + 1
        room = f"{household // (buildings * 3) + 1:04d}"
        for member in range(rng.choice((1, 2, 2, 3, 3, 4))):
            if row >= residents:
                break
            year = rng.randint(1930, 2021)
            needs = elderly_needs if year < 1950 and member == 0 else ""
            sheet.append(
                [
                    str(building),
                    unit,
                    room,
                    f"138{household:08d}",
                    f"居民{household}-{member}",
                    "",
                    f"{year}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                    rng.choice("男女"),
                    needs,
                    rng.randint(0, 6),
                    "",
                ]
            )
            row += 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_floor(content: bytes) -> int:
    """openpyxl's read-only read of the file, every row's values: the least an import does."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    rows = sum(1 for _ in book.active.iter_rows(values_only=True))
    book.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=40_000)
    parser.add_argument("--buildings", type=int, default=286)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed-demo", action="store_true", help="also time seed_demo large")
    args = parser.parse_args()

    import django
    from django.conf import settings

    django.setup()
    from django.db import connection

    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = str(ROOT / "bench" / "out" / "bench.sqlite3")
        (ROOT / "bench" / "out").mkdir(exist_ok=True)
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        run(args)
    finally:
        connection.creation.destroy_test_db(settings.DATABASES["default"]["NAME"], verbosity=0)


def run(args) -> None:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection

    from residents.importing import register_import
    from residents.models import Building, Committee, Compound, Household, Resident, Street

    print(
        f"database: {connection.vendor}; residents: {args.residents}; buildings: {args.buildings}"
    )
    started = time.perf_counter()
    content = build_xlsx(args.residents, args.buildings)
    print(f"XLSX written: {len(content) / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s")

    staff = User.objects.create(username="bench")
    street = Street.objects.create(name="bench")
    committee = Committee.objects.create(street=street, name="c")
    times: dict[str, list[float]] = {"floor": [], "first": [], "second": []}
    for attempt in range(args.repeat):
        started = time.perf_counter()
        rows = read_floor(content)
        times["floor"].append(time.perf_counter() - started)
        compound = Compound.objects.create(committee=committee, name=f"x{attempt}")
        Building.objects.bulk_create(
            Building(compound=compound, label=str(n), units=3, floors=30)
            for n in range(1, args.buildings + 1)
        )
        for kind in ("first", "second"):
            started = time.perf_counter()
            result = register_import(
                compound=compound, content=content, filename="residents.xlsx", by=staff
            )
            times[kind].append(time.perf_counter() - started)
            if kind == "first":
                assert result.residents_created == args.residents, result
            else:
                assert result.residents_created == result.residents_updated == 0, result
    households = Household.objects.filter(building__compound=compound).count()
    residents = Resident.objects.filter(household__building__compound=compound).count()
    print(
        f"floor: openpyxl read-only read of the file alone ({rows} rows): median "
        f"{statistics.median(times['floor']):.2f} s of {args.repeat}"
    )
    for kind, label in (
        ("first", "import into an empty compound"),
        ("second", "same file again (nothing to change)"),
    ):
        ratios = sorted(a / b for a, b in zip(times[kind], times["floor"], strict=True))
        print(
            f"{label}: median {statistics.median(times[kind]):.2f} s "
            f"({args.residents / statistics.median(times[kind]):,.0f} residents/s), "
            f"{statistics.median(ratios):.2f}x the floor (min {ratios[0]:.2f}, max "
            f"{ratios[-1]:.2f})"
        )
    print(
        f"in the last compound: {households} households, {residents} residents; "
        f"peak RSS {peak_rss_mb():.0f} MB"
    )

    if args.seed_demo:
        call_command("flush", interactive=False, verbosity=0)
        started = time.perf_counter()
        call_command("seed_demo", scale="large", stdout=io.StringIO())
        print(
            f"seed_demo --scale large: {time.perf_counter() - started:.1f} s "
            f"({Resident.objects.count()} residents, {Building.objects.count()} buildings)"
        )


if __name__ == "__main__":
    main()
