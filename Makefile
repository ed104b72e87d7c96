# The two commands of the README: `make run` and `make test`. Both install first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run serve test lint format messages worker

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py seed_demo_points
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@echo "Serving on http://127.0.0.1:8000 (the logins are printed above)"
	$(PY) manage.py runserver 127.0.0.1:8000

# Production: migrate, collect the static files, then gunicorn, a Celery worker and beat
# (config/serve.sh; HOST, PORT, WEB_CONCURRENCY, DATABASE_URL, CELERY_BROKER_URL).
serve: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	VENV=$(VENV) config/serve.sh

test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Needs gettext; the compiled .mo files are committed so that nobody else does.
messages: install
	$(PY) manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=staticfiles --ignore=tests --ignore=bench --ignore=docs --no-location --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv

# A real Celery worker (and beat) on the broker in CELERY_BROKER_URL.
worker: install
	$(VENV)/bin/celery -A config worker --beat --loglevel INFO
