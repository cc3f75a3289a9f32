# O3 Governance. `make run` and `make test` are the two commands of the README; both set up .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/dagster_home
export O3_DATA_DIR ?= $(CURDIR)/data

.PHONY: setup ocr-packages run test test-shifted-clock ui bench peer-check screenshot clean-data system-packages

setup: ocr-packages $(VENV)/.installed

# Tesseract with Dutch and French reads text in photos and scanned PDFs (attachments). Installed from
# Debian's packages when root; otherwise one line says what to install.
OCR_PACKAGES := tesseract-ocr tesseract-ocr-nld tesseract-ocr-fra
ocr-packages:
	@if command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx nld \
	    && tesseract --list-langs 2>/dev/null | grep -qx fra; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(OCR_PACKAGES) >/dev/null) \
	    || { echo "could not install $(OCR_PACKAGES) from Debian's packages"; exit 1; }; \
	else echo "OCR is missing: install the Debian packages $(OCR_PACKAGES) (as root: apt-get install $(OCR_PACKAGES))"; exit 1; fi

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

run: setup
	$(BIN)/o3-governance run --seed-demo

test: setup
	$(BIN)/python -m pytest

# The suite again with the clock 400 days ahead and 400 days back (libfaketime): a test that passes only
# on one date fails here. The slow end-to-end tests are left to `make test`.
test-shifted-clock: setup
	@command -v faketime >/dev/null || { echo "faketime is missing: apt-get install faketime (Debian)"; exit 1; }
	faketime -f "+400d" $(BIN)/python -m pytest -p no:cacheprovider -m "not e2e"
	faketime -f "-400d" $(BIN)/python -m pytest -p no:cacheprovider -m "not e2e"

# Debian packages the tests use (as root): PostgreSQL for the production-instance tests, Chromium for
# the report screenshot, faketime for the shifted clock.
system-packages:
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql chromium faketime; \
	else echo "not root: apt-get install postgresql chromium faketime (Debian)"; fi

ui: setup
	$(BIN)/dagster dev -h 127.0.0.1 -w workspace.yaml

bench: setup
	$(BIN)/python -m bench

screenshot: setup  # after `make run`: headless Chromium renders the latest report to a PNG and checks it
	tools/screenshot_report.sh

peer-check: setup
	$(BIN)/python tools/check_peer_fixtures.py ../shared/peer-fixtures

clean-data:
	rm -rf data/inbox data/raw data/quarantine data/lake data/media data/reports data/exports data/tmp data/warehouse.duckdb* data/audit_head.json
