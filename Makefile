# Every target sets up what it needs: a fresh clone needs only `make run` or `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.13 is required (mongoeco needs it). A bare shell may only find Debian's 3.11,
# so look on PATH first, then in pyenv's versions folder.
PYTHON313 := $(or $(shell command -v python3.13 2>/dev/null),$(lastword $(sort $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13))))
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
# Production needs only production.lock; run and test add development.lock, bench adds bench.lock.
LOCKS := requirements/production.lock requirements/development.lock
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install run stop migrate demo superadmin test test-fast lint format lock bench check-deploy

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): $(LOCKS)
	@if [ -z "$(PYTHON313)" ]; then \
		echo "error: Python 3.13 not found (looked for python3.13 on PATH and in ~/.pyenv/versions/3.13*)." >&2; \
		echo "Install it (e.g. 'pyenv install 3.13') and run make again." >&2; exit 1; fi
	@test -x $(PY) || $(PYTHON313) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps $(addprefix -r ,$(LOCKS))
	@touch $@

$(BENCH_STAMP): $(STAMP) requirements/bench.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements/bench.lock
	@touch $@

install: $(STAMP) ## Create .venv with Python 3.13 and install the locked packages (production and development)

migrate: install ## Start the embedded database if needed and apply migrations
	$(PY) -m devtools.embedded_mongodb ensure
	$(PY) manage.py migrate --no-input

demo: migrate ## Load the demo catalog (idempotent)
	$(PY) manage.py load_demo_catalog

# Where the shop is served: its links (email, canonical) and the simulator's webhooks go there
# unless SHOP_BASE_URL (environment or .env) says otherwise.
run: export SHOP_DEV_SERVER = $(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(HOST)):$(PORT)
run: demo ## Serve the shop at http://127.0.0.1:8000 (embedded database, Stripe simulator and worker included)
	$(PY) -m devtools.simulator_process ensure
	$(PY) -m devtools.worker_process ensure
	$(PY) manage.py runserver $(HOST):$(PORT)

stop: install ## Stop the background worker, Stripe simulator and embedded database
	-$(PY) -m devtools.worker_process stop
	-$(PY) -m devtools.simulator_process stop
	$(PY) -m devtools.embedded_mongodb stop

superadmin: migrate ## Create or promote a SUPER_ADMIN (interactive)
	$(PY) manage.py create_superadmin

# The suites whose simulator delivers webhooks that move money (a checkout paid, discounted, shipped,
# taxed, renewed, paid by bank transfer, reconciled, paid after it was cancelled; refunds, their
# failures and emails, disputes), run again with the simulator reordering, repeating and retrying
# its events as Stripe may: about a minute, not a second full run. Each run draws a new seed,
# printed in pytest's header (and under a failure); replay one with `make test UNRULY_SEED=N`.
UNRULY_TESTS = tests/payments/test_purchase.py tests/payments/test_refunds.py \
	tests/payments/test_renewals.py tests/payments/test_renewal_amounts.py \
	tests/payments/test_bank_transfers.py tests/payments/test_promotions.py \
	tests/payments/test_honest_totals.py tests/payments/test_shipping.py \
	tests/payments/test_reconcile.py tests/staff/test_subscription_refunds.py \
	tests/staff/test_refunds.py tests/staff/test_refund_edges.py \
	tests/staff/test_refund_emails.py tests/staff/test_disputes.py \
	tests/staff/test_late_payments.py

test: $(BENCH_STAMP) ## Run the whole test suite (browser journeys included), then the payment journeys with unruly webhooks
	$(PY) -m pytest
	$(PY) -m pytest --stripe-delivery=unruly $(if $(UNRULY_SEED),--stripe-delivery-seed=$(UNRULY_SEED)) $(UNRULY_TESTS)

test-fast: $(BENCH_STAMP) ## Run the suite without the browser journeys
	$(PY) -m pytest -m "not e2e"

lint: install ## Check formatting and lint with ruff
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install ## Format and fix with ruff
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check-deploy: install ## Run Django's deployment checks with production settings
	DJANGO_SETTINGS_MODULE=shop.settings.production \
	DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-check-deploy-only-$$(head -c 32 /dev/urandom | base64)} \
	DJANGO_ALLOWED_HOSTS=$${DJANGO_ALLOWED_HOSTS:-shop.example.com} \
	MONGODB_URI=$${MONGODB_URI:-mongodb://db.example.com/} \
	STRIPE_SECRET_KEY=$${STRIPE_SECRET_KEY:-sk_test_check_deploy} \
	STRIPE_WEBHOOK_SECRET=$${STRIPE_WEBHOOK_SECRET:-whsec_check_deploy} \
	EMAIL_URL=$${EMAIL_URL:-smtp+tls://mailer:secret@smtp.example.com:587} \
	SHOP_BASE_URL=$${SHOP_BASE_URL:-https://shop.example.com} \
	$(PY) manage.py check --deploy --fail-level WARNING

lock: ## Re-pin requirements/*.lock from requirements/*.in in a throwaway venv
	requirements/lock.sh $(PYTHON313)

bench: $(BENCH_STAMP) ## Run the benchmarks and write docs/performance.md
	$(PY) -m bench
