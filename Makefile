# wirewatch — the two set-up commands are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install run demo test lint train eval bench proto clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install everything (spaCy model and broker included)

run: $(STAMP) ## install, then start the whole stack (broker, ingest, extract, api)
	$(BIN)/wirewatch up

demo: $(STAMP) ## install, then start the stack with the offline demo feed
	$(BIN)/wirewatch up --demo

test: $(STAMP) ## install, then run the whole test suite
	bash tools/install-test-tools.sh
	$(BIN)/ruff check services proto tests bench
	$(BIN)/python -m pytest -n 3 --dist loadfile

lint: $(STAMP) ## ruff and mypy --strict
	$(BIN)/ruff check services proto tests bench
	$(BIN)/mypy

train: $(STAMP) ## train the claim detector on eval/ (seeded; writes services/extract/data/detector.npz)
	$(BIN)/python -m services.extract.train

eval: $(STAMP) ## score the extractor: dev, seeds, 5-fold cross-validation, leave-one-source-out
	$(BIN)/python -m services.extract.evaluate

bench: $(STAMP) ## run the benchmarks (figures go to BENCHMARKS.md by hand)
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.extract
	$(BIN)/python -m bench.extract --workers
	$(BIN)/python -m bench.api

proto: $(STAMP) ## regenerate the protobuf classes from proto/
	$(BIN)/python -m grpc_tools.protoc -Iproto --python_out=proto --pyi_out=proto \
		proto/wirewatch/v1/wirewatch.proto

clean: ## remove the environment and local data
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
