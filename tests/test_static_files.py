"""Static files as production serves them: hashed names with gzip and brotli copies after
collectstatic, pages compressed too, and the volunteers' service worker renamed whenever the
code it keeps changes, so that phones get new code after a deploy."""

import re
import shutil

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

MANIFEST = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.fixture
def collected(settings, tmp_path):
    """`collect()` copies static/ to a scratch folder and runs collectstatic with the
    production storage; the copy can be edited between two deploys."""
    source = tmp_path / "static"
    shutil.copytree(settings.BASE_DIR / "static", source)
    settings.STATICFILES_DIRS = [source]
    # Only the product's own files: compressing the admin's and the API docs' takes minutes.
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STATIC_ROOT = tmp_path / "collected"
    settings.STORAGES = MANIFEST

    def collect():
        call_command("collectstatic", interactive=False, verbosity=0)
        return settings.STATIC_ROOT

    collect.source = source
    return collect


def worker(client) -> tuple[str, list[str]]:
    body = client.get("/volunteer/sw.js").content.decode()
    cache = re.search(r'const CACHE = "([^"]+)"', body).group(1)
    return cache, re.findall(r'"(/static/[^"]+)"', body)


def test_collectstatic_writes_hashed_names_with_gzip_and_brotli(collected):
    root = collected()
    hashed = [path.name for path in root.glob("js/volunteer-deliveries.*.js")]
    assert hashed, "no hashed copy of the volunteers' script"
    name = hashed[0]
    assert (root / "js" / f"{name}.gz").exists()
    assert (root / "js" / f"{name}.br").exists()


def test_the_service_worker_is_renamed_when_its_code_changes(client, db, collected):
    collected()
    first_cache, first_assets = worker(client)
    assert all(re.search(r"\.[0-9a-f]{12}\.(js|css)$", asset) for asset in first_assets)
    assert worker(client)[0] == first_cache  # the same deploy: the same worker

    script = collected.source / "js" / "volunteer-deliveries.js"
    script.write_text(script.read_text() + "\n// the next release\n")
    collected()
    second_cache, second_assets = worker(client)
    assert second_cache != first_cache
    assert set(second_assets) != set(first_assets)


def test_pages_go_out_compressed(client, db):
    page = client.get(reverse("login"), HTTP_ACCEPT_ENCODING="gzip")
    assert page["Content-Encoding"] == "gzip"
    plain = client.get(reverse("login"))
    assert "Content-Encoding" not in plain
    assert settings.MIDDLEWARE[0] == "django.middleware.gzip.GZipMiddleware"
