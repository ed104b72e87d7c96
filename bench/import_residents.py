"""Time to import 40,000 residents from XLSX, and to seed the large demo compound.

Run by hand, on a scratch database that it creates and drops:

    .venv/bin/python bench/import_residents.py                       # SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/import_residents.py

It writes an XLSX of N residents (default 40,000) in 286 buildings, imports it into an empty
compound through `register_import` (the service behind the admin page), imports it a second
time (every resident updated), then times `seed_demo --scale large` in a fresh database.
"""

import argparse
import io
import os
import random
import resource
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=40_000)
    parser.add_argument("--buildings", type=int, default=286)
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
    compound = Compound.objects.create(
        committee=Committee.objects.create(street=street, name="c"), name="x"
    )
    Building.objects.bulk_create(
        Building(compound=compound, label=str(n), units=3, floors=30)
        for n in range(1, args.buildings + 1)
    )
    for attempt in ("first import (all new)", "second import (same file, nothing to change)"):
        started = time.perf_counter()
        result = register_import(
            compound=compound, content=content, filename="residents.xlsx", by=staff
        )
        elapsed = time.perf_counter() - started
        print(
            f"{attempt}: {elapsed:.1f} s, {args.residents / elapsed:,.0f} residents/s, "
            f"peak RSS {peak_rss_mb():.0f} MB; {result}"
        )
    households, residents = Household.objects.count(), Resident.objects.count()
    print(f"in the database: {households} households, {residents} residents")

    call_command("flush", interactive=False, verbosity=0)
    started = time.perf_counter()
    call_command("seed_demo", scale="large", stdout=io.StringIO())
    print(
        f"seed_demo --scale large: {time.perf_counter() - started:.1f} s "
        f"({Resident.objects.count()} residents, {Building.objects.count()} buildings)"
    )


if __name__ == "__main__":
    main()
