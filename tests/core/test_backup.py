"""The backup procedure of docs/DEPLOY.md: `pg_dump --format=custom` of a seeded database,
`pg_restore` into an empty one, and every table comes back with every row."""

import shutil
import subprocess

import pytest
from django.core.management import call_command
from django.db import connection

from tests.conftest import needs_service
from tests.worker import _test_database_url


def _row_counts(cursor) -> dict[str, int]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    tables = [name for (name,) in cursor.fetchall()]
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
    return counts


@pytest.mark.postgres
def test_a_dump_of_a_seeded_database_restores_into_an_empty_one(transactional_db, tmp_path):
    needs_service(connection.vendor == "postgresql", "needs PostgreSQL: pg_dump backs it up")
    needs_service(bool(shutil.which("pg_dump")), "needs pg_dump and pg_restore")
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo_points", verbosity=0)
    with connection.cursor() as cursor:
        seeded = _row_counts(cursor)
    assert seeded["residents_resident"] > 100 and seeded["deliveries_delivery"] > 100

    source = _test_database_url()
    dump = tmp_path / "lhm.dump"
    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", source],
        check=True,
        timeout=300,
    )
    restored_name = f"{connection.settings_dict['NAME']}_restored"
    base = source.rsplit("/", 1)[0]
    admin = f"{base}/postgres"
    subprocess.run(["dropdb", "--if-exists", "--maintenance-db", admin, restored_name], check=True)
    subprocess.run(["createdb", "--maintenance-db", admin, restored_name], check=True)
    try:
        subprocess.run(
            ["pg_restore", "--no-owner", f"--dbname={base}/{restored_name}", str(dump)],
            check=True,
            timeout=300,
        )
        import psycopg2

        with psycopg2.connect(f"{base}/{restored_name}") as restored, restored.cursor() as cur:
            assert _row_counts(cur) == seeded
    finally:
        subprocess.run(["dropdb", "--if-exists", "--maintenance-db", admin, restored_name])
