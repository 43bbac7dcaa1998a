# The two commands of the README: `make demo` and `make test`. Both create .venv and install
# what is missing first; the stamp file changes whenever a requirements file does.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
MAGENTA_STAMP := $(VENV)/.magenta-$(shell sha1sum requirements-magenta.txt | cut -c1-12)

.PHONY: demo test lint format chromium cjk-font gettext messages makemessages bench-ingest worker web

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-* && touch $@

# The optional TF-Hub tone-transfer backend: the test suite exercises it, the demo does not.
$(MAGENTA_STAMP): $(STAMP) requirements-magenta.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-magenta.txt
	@rm -f $(VENV)/.magenta-* && touch $@

# DEMO_ARGS="--addr 127.0.0.1:8001" serves elsewhere (PIXGEN_VAR_DIR: another database too).
demo: $(STAMP) messages
	$(BIN)/python manage.py rundemo $(DEMO_ARGS)

# Browser tests drive Debian's Chromium; install it when it is missing and we may.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing and cannot be installed here: browser tests will fail"; fi; }

# Translations: gettext's msgfmt compiles locale/<lang>/LC_MESSAGES/*.po into the .mo files
# Django reads (the .mo files are built, never committed). Install gettext when missing and we may.
gettext:
	@command -v msgfmt >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; \
	  else echo "gettext (msgfmt) is missing and cannot be installed here: install it"; exit 1; fi; }

messages: $(STAMP) gettext
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0

# After changing marked strings: extract them into the ja and id catalogues, then translate the
# new or fuzzy entries (README, "Languages").
makemessages: $(STAMP) gettext
	$(BIN)/python manage.py makemessages -l ja -l id --no-location --no-obsolete \
	  --ignore=.venv --ignore=node_modules --ignore=tests --ignore=bench --ignore=var
	@# A creation date in the header would make every branch's catalogue conflict.
	@sed -i '/^"POT-Creation-Date:/d' locale/*/LC_MESSAGES/django.po

# The browser tests check that Japanese pages fit: Chromium needs a Japanese font to draw them.
cjk-font:
	@fc-list :lang=ja 2>/dev/null | grep -q . || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-ipafont-gothic >/dev/null; \
	  else echo "no Japanese font and none can be installed here: Japanese pages draw as boxes"; fi; }

# axe-core (npm) for the browser contrast checks, from package-lock.json; npm comes from Debian.
AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; \
	  else echo "npm is missing and cannot be installed here: install nodejs and npm"; exit 1; fi; }
	npm ci --no-audit --no-fund --silent
	@touch $@

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: $(STAMP) $(MAGENTA_STAMP) chromium cjk-font $(AXE) messages lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench-ingest: $(STAMP)
	$(BIN)/python bench/ingest.py $(BENCH_ARGS)

worker: $(STAMP)
	$(BIN)/celery -A pixgen worker --loglevel=INFO -Q default,training

web: $(STAMP)
	$(BIN)/python manage.py runserver
