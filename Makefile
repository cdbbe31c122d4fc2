# Concord: `make run` serves the dashboard on embedded defaults; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000

# System packages: Pango for WeasyPrint's PDFs (HarfBuzz subsets their fonts fast), gettext to
# compile the translations, Chromium for browser tests, poppler (pdftoppm, pdffonts, pdftotext)
# and qpdf to read reports back.
RUN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-noto-core gettext
TEST_PACKAGES := $(RUN_PACKAGES) chromium poppler-utils qpdf

.PHONY: install messages messages-update system-run system-test run test lint format bench bench-load clean

install: $(VENV)/.installed messages

# The translations (locale/<language>/LC_MESSAGES/django.po) and the supplement to Django's own
# (locale-django/<language>/LC_MESSAGES/django.po, djangojs.po), compiled for Django to read.
MESSAGES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po locale-django/*/LC_MESSAGES/*.po))
messages: $(MESSAGES)

%.mo: %.po | system-run
	msgfmt --check-format -o $@ $<

# After changing a string marked for translation: bring the catalogues up to date, then
# translate what this adds (tests/test_catalogues.py fails until every entry is translated).
messages-update: $(VENV)/.installed
	DEBUG=true $(BIN)/python manage.py makemessages -l fr -l km --add-location file --no-obsolete \
	  --ignore=.venv --ignore=var --ignore=tests --ignore=bench --ignore=static --ignore=build \
	  --ignore=screenshots --ignore='*.egg-info'

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock ".[dev]"
	touch $@

# Installs what is missing when we can (root with apt-get); otherwise says what to install.
define apt_ensure
	@missing=""; for pkg in $(1); do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Please install these system packages:$$missing" >&2; exit 1; fi; \
	fi
endef

system-run:
	$(call apt_ensure,$(RUN_PACKAGES))

system-test:
	$(call apt_ensure,$(TEST_PACKAGES))

run: install system-run
	DEBUG=true $(BIN)/python manage.py migrate --no-input
	DEBUG=true $(BIN)/python manage.py loaddata fixtures/seed.json
	DEBUG=true $(BIN)/python manage.py populate_history --auto
	DEBUG=true $(BIN)/python manage.py generate_report --period 2022-11
	DEBUG=true $(BIN)/python manage.py generate_report --period 2022-11 --audience everything
	DEBUG=true $(BIN)/python manage.py generate_report --partner ministry-of-interior
	DEBUG=true $(BIN)/python manage.py ensure_local_admin
	DEBUG=true $(BIN)/python manage.py runserver $(HOST)

# Tests run against the real local PostgreSQL and Redis unless told otherwise.
test: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/concord
test: export CELERY_BROKER_URL ?= redis://127.0.0.1:6379/0
test: export SECRET_KEY ?= test-only-secret-key
test: install system-test
	$(BIN)/ruff check .
	DATABASE_URL= SQLITE_PATH=:memory: $(BIN)/python manage.py makemigrations --check --dry-run
	DATABASE_URL= SQLITE_PATH=:memory: $(BIN)/mypy
	$(BIN)/pytest

# Benchmarks fill a database of their own: national scale divided by BENCH_DIVIDE.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/concord_bench
BENCH_DIVIDE ?= 10
bench: export DATABASE_URL = $(BENCH_DATABASE_URL)
bench: export SECRET_KEY ?= bench-only-secret-key
bench: export CELERY_BROKER_URL =
bench: install system-run
	psql "$(BENCH_DATABASE_URL:/concord_bench=/postgres)" -qc "DROP DATABASE IF EXISTS concord_bench" -c "CREATE DATABASE concord_bench"
	$(BIN)/python manage.py migrate --no-input -v0
	$(BIN)/python manage.py loaddata -v0 fixtures/seed.json
	$(BIN)/python manage.py bench_pages --settings=bench.settings --divide $(BENCH_DIVIDE) $(BENCH_ARGS)
	$(BIN)/python manage.py bench_import --settings=bench.settings --divide $(BENCH_DIVIDE)

BENCH_SECONDS ?= 30
BENCH_CLIENTS ?= 16
bench-load: export DATABASE_URL = $(BENCH_DATABASE_URL)
bench-load: export SECRET_KEY ?= bench-only-secret-key
bench-load: export CELERY_BROKER_URL =
bench-load: install system-run
	$(BIN)/python manage.py migrate --no-input -v0
	$(BIN)/python manage.py bench_load --settings=bench.settings --duration $(BENCH_SECONDS) --concurrency $(BENCH_CLIENTS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DATABASE_URL= SQLITE_PATH=:memory: $(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var
