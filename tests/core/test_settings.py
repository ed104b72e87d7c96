"""Settings read from the environment refuse what they do not understand."""

import pytest
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
