"""What the main pages and static files weigh on the wire: as served before (uncompressed),
and now (pages gzipped by GZipMiddleware, static files as the brotli / gzip copies
collectstatic writes), beside the best the same bytes compress to (brotli at quality 11).

Seeds the demo into a scratch SQLite file and collects the static files into a scratch folder;
nothing is left behind.

    .venv/bin/python bench/compressed_sizes.py
"""

import gzip
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SCRATCH = Path(tempfile.mkdtemp(prefix="lhm-sizes-"))
os.environ["DATABASE_URL"] = f"sqlite:///{SCRATCH / 'db.sqlite3'}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import brotli  # noqa: E402
import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

PAGES = [
    ("login", None, "/accounts/login/"),
    ("resident home", "resident", "/"),
    ("resident orders", "resident", "/orders/"),
    ("volunteer: my deliveries", "volunteer", "/volunteer/deliveries/"),
    ("staff: compound overview", "staff", "/"),
    ("staff: rounds to plan", "staff", "/staff/plans/"),
]
STATIC = ["css/site.css", "css/deliveries-volunteer.css", "js/volunteer-deliveries.js"]


def kb(size: int) -> str:
    return f"{size / 1024:7.1f}"


def main() -> None:
    root = SCRATCH / "static"
    with override_settings(
        STATIC_ROOT=root,
        STATICFILES_FINDERS=["django.contrib.staticfiles.finders.FileSystemFinder"],
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
        pages()
        static_files(root)


def pages() -> None:
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo_points", verbosity=0)
    print(f"{'page':<28} {'before KB':>9} {'gzip KB':>8} {'brotli-11 KB':>12}")
    for label, username, path in PAGES:
        client = Client(HTTP_HOST="127.0.0.1")
        if username:
            client.force_login(User.objects.get(username=username))
        plain = client.get(path, follow=True)
        zipped = client.get(path, follow=True, HTTP_ACCEPT_ENCODING="gzip")
        assert plain.status_code == 200, (path, plain.status_code)
        assert zipped.get("Content-Encoding") == "gzip", path
        body = plain.content
        best = len(brotli.compress(body, quality=11))
        print(f"{label:<28} {kb(len(body)):>9} {kb(len(zipped.content)):>8} {kb(best):>12}")


def static_files(root: Path) -> None:
    print(f"\n{'static file':<28} {'before KB':>9} {'gzip KB':>8} {'brotli KB':>12}")
    for name in STATIC:
        folder, stem = (root / name).parent, Path(name).stem
        hashed = next(
            p for p in folder.glob(f"{stem}.*{Path(name).suffix}") if p.name.count(".") == 2
        )
        raw = hashed.stat().st_size
        gz = Path(f"{hashed}.gz").stat().st_size
        br = Path(f"{hashed}.br").stat().st_size
        print(f"{name:<28} {kb(raw):>9} {kb(gz):>8} {kb(br):>12}")
    assert gzip.decompress(Path(f"{hashed}.gz").read_bytes()) == hashed.read_bytes()


if __name__ == "__main__":
    try:
        main()
    finally:
        import shutil

        shutil.rmtree(SCRATCH, ignore_errors=True)
        _ = settings
