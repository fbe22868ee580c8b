# The two commands a new user needs: `make demo` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1:8000

.PHONY: demo test venv deps dev-deps run seed lint bench clean

$(VENV)/bin/python:
	"$$(scripts/find-python)" -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.deps: requirements.txt | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements-dev.txt
	touch $(VENV)/.deps $@

deps: $(VENV)/.deps
dev-deps: $(VENV)/.dev-deps

## make demo: set up an embedded SQLite database with demo data and serve on 127.0.0.1:8000
demo: deps
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver $(HOST)

## make test: the whole suite (Postgres/Redis when DATABASE_URL / REDIS_URL are set, SQLite otherwise)
test: dev-deps
	$(VENV)/bin/pytest

lint: dev-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) db.sqlite3

## make messages: refresh and compile the translations (needs GNU gettext); the .mo files are committed
messages: dev-deps
	$(PY) manage.py makemessages -l en -l zh_Hans --ignore=.venv --ignore=bench --ignore=tests
	$(PY) manage.py compilemessages --ignore=.venv
