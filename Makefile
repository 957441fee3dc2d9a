# Everyday commands. `make run` and `make test` do all set-up on a fresh machine.
# `make run ARGS="--server.port 8611"` passes extra arguments to `streamlit run`.
PYTHON ?= python3
APP_VENV := .venv/app
TRAIN_VENV := .venv/train
APP_PY := $(APP_VENV)/bin/python
TRAIN_PY := $(TRAIN_VENV)/bin/python

.PHONY: run test lint test-app test-train bench capacity scaleout train export image screenshot clean-env browser nginx lock

run: $(APP_VENV)/.installed
	$(APP_VENV)/bin/streamlit run app/main.py $(ARGS)

# Every test: lint, the app's suite in the app-only environment (no TensorFlow), the training
# and export suites in the training environment.
test: lint test-app test-train

lint: $(APP_VENV)/.installed
	$(APP_VENV)/bin/ruff check .

test-app: $(APP_VENV)/.installed browser nginx
	$(APP_PY) -m pytest tests/app tests/deploy

test-train: $(TRAIN_VENV)/.installed
	$(TRAIN_PY) -m pytest tests/train tests/export

train: $(TRAIN_VENV)/.installed
	$(TRAIN_PY) -m train

export: $(TRAIN_VENV)/.installed
	$(TRAIN_PY) -m export

bench: $(APP_VENV)/.installed $(TRAIN_VENV)/.installed browser
	$(TRAIN_PY) -m bench

# One server's capacity on one core, memory per session and after 1,000 visitors (~12 min), and
# two replicas behind nginx with one killed mid-run (~1 min); figures in bench/out/.
capacity: $(APP_VENV)/.installed $(TRAIN_VENV)/.installed
	$(APP_PY) -m bench.capacity
	$(TRAIN_PY) -m bench.loadplot

scaleout: $(APP_VENV)/.installed nginx
	$(APP_PY) -m bench.scaleout

image:
	bash deploy/image.sh

screenshot: $(APP_VENV)/.installed browser
	$(APP_VENV)/bin/python -m bench.screenshot

# Installed from the lock files only: every package pinned with its sha256 (pip refuses anything
# else) and wheels only, so no package's setup code runs. `make lock` rewrites them.
PIP_INSTALL = -m pip install --quiet --require-hashes --only-binary=:all:

$(APP_VENV)/.installed: requirements-dev.lock
	$(PYTHON) -m venv $(APP_VENV)
	$(APP_PY) $(PIP_INSTALL) -r requirements-dev.lock
	touch $@

$(TRAIN_VENV)/.installed: requirements-train.lock
	$(PYTHON) -m venv $(TRAIN_VENV)
	$(TRAIN_PY) $(PIP_INSTALL) -r requirements-train.lock
	touch $@

# The lock files from the requirements files (top-level pins): the app image's
# (requirements-app.lock), the app's with the test tools (requirements-dev.lock) and training's
# (requirements-train.lock). Versions already locked are kept; uv runs from a throwaway venv.
UV_PIN := uv==0.13.9
LOCK = $(LOCK_VENV)/bin/uv pip compile --quiet --generate-hashes --python-version 3.11 --custom-compile-command "make lock"
LOCK_VENV := .venv/lock

lock:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet $(UV_PIN)
	$(LOCK) requirements-app.txt -o requirements-app.lock
	$(LOCK) requirements-app.txt requirements-test.txt -o requirements-dev.lock
	$(LOCK) requirements-train.txt requirements-test.txt -o requirements-train.lock

# Debian's Chromium for the real-browser tests (Playwright never downloads a browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "chromium missing: browser tests will be skipped"; }

# Debian's nginx for the two-replica failover test and bench.scaleout (run as our own process).
nginx:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { [ "$$(id -u)" = 0 ] && (apt-get update -qq && apt-get install -y -qq nginx >/dev/null) || echo "nginx missing: the failover test will be skipped"; }

clean-env:
	rm -rf .venv
