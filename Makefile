# The front door (STYLE §11). Only python3 and make are needed: everything else is installed into .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SAM_TEMPLATE := infra/template.yaml
# checkov has dependencies of its own: a venv outside the repository (see infra/CHECKOV.md).
CHECKOV_VENV ?= $(HOME)/.cache/pimtasks/checkov
CHECKOV_VERSION := 3.3.30
# The tests run in parallel processes (pytest-xdist): one per core, at most four (each e2e process starts a local
# stack and a browser of its own). TEST_WORKERS=0 runs them in this process, e.g. to debug one with pdb.
TEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -q -n $(TEST_WORKERS) --maxprocesses=4

.PHONY: help run test unit integration e2e lint typecheck cfn-lint openapi bench deploy checkov clean browser \
	screenshots console-deploy
# The browser tests drive Debian's Chromium and Firefox ESR (browser downloads are impossible here); `make browser`
# installs them.
CHROMIUM ?= /usr/bin/chromium
FIREFOX ?= /usr/bin/firefox-esr

help:
	@echo "make run        start the local stack (emulator :4566, API :8080, FTPS :2121) with a demo environment;"
	@echo "                it keeps its data in .pimtasks/local across restarts (make run ARGS=--fresh starts empty)"
	@echo "make test       lint + unit + integration + e2e tests"
	@echo "make bench      benchmarks (figures as ratios against in-run baselines)"
	@echo "make openapi    regenerate openapi.json from the code"
	@echo "make deploy     sam build && sam deploy --guided (needs the SAM CLI and AWS credentials)"
	@echo "make checkov    checkov on the template translated to CloudFormation (installs checkov once)"
	@echo "make screenshots  the web console's README screenshots (docs/console/*.png)"
	@echo "make console-deploy STACK=<name>  upload console/ to the stack's console bucket (aws s3 sync)"

$(STAMP): requirements-dev.txt layers/common/requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m pimtasks_local $(ARGS)

test: lint unit integration e2e

lint: $(STAMP) cfn-lint
	$(BIN)/ruff check layers functions local tests benchmarks
	$(BIN)/mypy layers/common/pimtasks functions local/pimtasks_local
	$(BIN)/python -m pimtasks_local.openapi --check

cfn-lint: $(STAMP)
	$(BIN)/cfn-lint $(SAM_TEMPLATE)

unit: $(STAMP)
	$(PYTEST) tests/unit

integration: $(STAMP)
	$(PYTEST) tests/integration

e2e: $(STAMP) browser
	$(PYTEST) tests/e2e

# Debian's Chromium and Firefox ESR for the browser tests, each installed when missing and possible (root with
# apt-get); without one its browser tests skip with the reason (and fail in CI).
browser:
	@for pair in "$(CHROMIUM):chromium" "$(FIREFOX):firefox-esr"; do \
	  path=$${pair%%:*}; package=$${pair##*:}; \
	  test -x $$path || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's $$package for the browser tests"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$package >/dev/null 2>&1 \
	    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$package >/dev/null; } \
	    || echo "$$package could not be installed: its browser tests will be skipped"; \
	  else echo "no $$path and no way to install it (needs root and apt-get): its browser tests will be skipped"; fi; }; \
	done

screenshots: $(STAMP) browser
	PIMTASKS_SCREENSHOTS=docs/console $(BIN)/pytest -q tests/e2e/console/test_screenshots.py

# The console's static files into the stack's private console bucket (CloudFront serves them); see README.
console-deploy:
	@test -n "$(STACK)" || { echo "usage: make console-deploy STACK=<stack name>"; exit 2; }
	BUCKET=$$(aws cloudformation describe-stacks --stack-name $(STACK) \
	  --query "Stacks[0].Outputs[?OutputKey=='ConsoleBucketName'].OutputValue" --output text) && \
	  aws s3 sync console/ "s3://$$BUCKET/" --delete --exclude ".*" --cache-control no-cache && \
	  echo "console uploaded to s3://$$BUCKET/ (served at the stack's ConsoleUrl output)"

openapi: $(STAMP)
	$(BIN)/python -m pimtasks_local.openapi --write

bench: $(STAMP)
	$(BIN)/python -m benchmarks

deploy:
	sam build --template-file $(SAM_TEMPLATE) && sam deploy --guided

checkov: $(STAMP)
	test -x $(CHECKOV_VENV)/bin/checkov || ($(PYTHON) -m venv $(CHECKOV_VENV) \
		&& $(CHECKOV_VENV)/bin/python -m pip install --quiet checkov==$(CHECKOV_VERSION))
	$(BIN)/python -m pimtasks_local.sam_transform --output .aws-sam/cloudformation.json
	$(CHECKOV_VENV)/bin/checkov --config-file infra/checkov.yaml -f .aws-sam/cloudformation.json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .aws-sam .pimtasks
