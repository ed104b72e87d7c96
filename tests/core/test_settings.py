"""Settings read from the environment refuse what they do not understand."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.settings import env_bool


@pytest.mark.parametrize("word", ["1", "true", "Yes", " on "])
def test_env_bool_true(monkeypatch, word):
    monkeypatch.setenv("LHM_FLAG", word)
    assert env_bool("LHM_FLAG") is True


@pytest.mark.parametrize("word", ["0", "false", "NO", "off"])
def test_env_bool_false(monkeypatch, word):
    monkeypatch.setenv("LHM_FLAG", word)
    assert env_bool("LHM_FLAG", default=True) is False


def test_env_bool_unset_or_empty_is_the_default(monkeypatch):
    monkeypatch.delenv("LHM_FLAG", raising=False)
    assert env_bool("LHM_FLAG", default=True) is True
    monkeypatch.setenv("LHM_FLAG", "")
    assert env_bool("LHM_FLAG") is False


@pytest.mark.parametrize("word", ["enabled", "ture", "2"])
def test_env_bool_refuses_an_unknown_word(monkeypatch, word):
    monkeypatch.setenv("LHM_FLAG", word)
    with pytest.raises(ImproperlyConfigured, match="LHM_FLAG"):
        env_bool("LHM_FLAG")


def _env_example() -> dict[str, str]:
    lines = (settings.BASE_DIR / ".env.example").read_text().splitlines()
    pairs = (line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return dict(pairs)


def _check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_production_environment_of_env_example():
    """The settings the README and .env.example give for production pass Django's deploy
    checks (cookies, HSTS, SSL redirect, proxy header), with only the secret made real."""
    env = _env_example() | {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "sqlite:///:memory:",
        "CELERY_BROKER_URL": "",
        "CACHE_URL": "",
    }
    result = _check_deploy(env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_without_them():
    result = _check_deploy({"SECRET_KEY": secrets.token_urlsafe(50), "DEBUG": "0"})
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout  # no HSTS


def test_every_task_of_the_product_has_a_time_limit():
    from config.celery import app

    app.loader.import_default_modules()
    ours = {
        name: task
        for name, task in app.tasks.items()
        if name.split(".")[0]
        in {"core", "residents", "supplies", "volunteers", "deliveries"}
        | {"medical", "parcels", "hotline", "reports"}
    }
    assert len(ours) >= 7
    for name, task in ours.items():
        limit = task.time_limit or app.conf.task_time_limit
        assert limit and limit <= 3600, name
