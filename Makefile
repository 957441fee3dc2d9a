# Everyday commands. `make run` and `make test` do all set-up on a fresh machine.
# `make run ARGS="--server.port 8611"` passes extra arguments to `streamlit run`.
PYTHON ?= python3
APP_VENV := .venv/app
TRAIN_VENV := .venv/train
APP_PY := $(APP_VENV)/bin/python
TRAIN_PY := $(TRAIN_VENV)/bin/python

.PHONY: run test lint test-app test-train bench train export image screenshot clean-env browser

run: $(APP_VENV)/.installed
	$(APP_VENV)/bin/streamlit run app/main.py $(ARGS)

# Every test: lint, the app's suite in the app-only environment (no TensorFlow), the training
# and export suites in the training environment.
test: lint test-app test-train

lint: $(APP_VENV)/.installed
	$(APP_VENV)/bin/ruff check .

test-app: $(APP_VENV)/.installed browser
	$(APP_PY) -m pytest tests/app tests/deploy

test-train: $(TRAIN_VENV)/.installed
	$(TRAIN_PY) -m pytest tests/train tests/export

train: $(TRAIN_VENV)/.installed
	$(TRAIN_PY) -m train

export: $(TRAIN_VENV)/.installed
	$(TRAIN_PY) -m export

bench: $(APP_VENV)/.installed $(TRAIN_VENV)/.installed browser
	$(TRAIN_PY) -m bench

image:
	bash deploy/image.sh

screenshot: $(APP_VENV)/.installed browser
	$(APP_VENV)/bin/python -m bench.screenshot

$(APP_VENV)/.installed: requirements-app.txt requirements-test.txt
	$(PYTHON) -m venv $(APP_VENV)
	$(APP_PY) -m pip install --quiet -r requirements-app.txt -r requirements-test.txt
	touch $@

$(TRAIN_VENV)/.installed: requirements-train.txt requirements-app.txt requirements-test.txt
	$(PYTHON) -m venv $(TRAIN_VENV)
	$(TRAIN_PY) -m pip install --quiet -r requirements-train.txt -r requirements-test.txt
	touch $@

# Debian's Chromium for the real-browser tests (Playwright never downloads a browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "chromium missing: browser tests will be skipped"; }

clean-env:
	rm -rf .venv
