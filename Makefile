# rolesanywhere.fleet developer entry points. `make demo` and `make test` work on a fresh machine with
# python3, Python 3.12 (or newer), make and git: everything else is installed into .venv from the pinned requirements.
SHELL := /bin/bash
# .venv runs the newest end of the supported range (ansible 14, ansible-core 2.21), which needs Python >= 3.12:
# the first of `python3.12` on PATH and pyenv's versions/3.12.*/bin/python3.12 (newest first) that runs (a pyenv
# shim for a version that is not selected does not). Override with PYTHON=/path/to/python.
PYTHON_NEWEST := 3.12
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell { echo python$(PYTHON_NEWEST); ls -d "$${PYENV_ROOT:-$$HOME/.pyenv}"/versions/$(PYTHON_NEWEST).*/bin/python$(PYTHON_NEWEST) 2>/dev/null | sort -rV; } \
  | while read -r p; do "$$p" -c '' >/dev/null 2>&1 && { command -v "$$p"; break; }; done)
endif
# The other venvs (galaxy-importer, tools, the floor) and the helper scripts run on the system's python3 (3.10 or
# newer): the floor then runs on an older Python than the newest end.
SYSTEM_PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
BUILD ?= $(CURDIR)/.build
COLLECTIONS := $(BUILD)/collections
LAYOUT := $(COLLECTIONS)/ansible_collections/rolesanywhere/fleet
PYVER = $(shell $(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
# Every tool sees the venv first and finds this collection (and the ones bundled with `ansible`).
RUN := env PATH="$(BIN):$$PATH" PYTHONPATH="$(COLLECTIONS)" ANSIBLE_COLLECTIONS_PATH="$(COLLECTIONS)" PYTHONDONTWRITEBYTECODE=1
PYTEST := $(RUN) $(BIN)/python -m pytest
PYTEST_ARGS ?=
SANITY_ARGS ?=
INTEGRATION_ARGS ?=
# Fails the build with a line that says which step broke; `took` prints a step's wall time (the whole of
# `make test` must stay under 20 minutes on a 2-core machine, installs included).
took = echo "== $(1) took $$(( $$(date +%s) - $$t0 ))s"
fail = { echo; echo "make: step '$(1)' FAILED (see the output above)"; exit 1; }

.PHONY: help installs sanity-and-floor system-packages venv importer-venv tools-venv floor-venv floor hostpython artifact layout sanity units functional integration test-fleet lint test bench demo changelog build clean

help:
	@echo "make demo         offline demo: emulator + local CA + localhost enrolment + credentials used on moto"
	@echo "make test         sanity, unit, functional and integration tests (what CI runs)"
	@echo "make bench        benchmarks, printed as tables"
	@echo "make sanity | units | functional | integration | lint | hostpython | floor    one step of make test"
	@echo "make system-packages   the Debian packages the tests drive (apt-get, as root; make test runs it)"
	@echo "make test-fleet   the acceptance scale: 20-host enrolment lifecycle, 200-host lookup, 40-host paced rotation, containment with ACM PCA (slow; make test uses 4, 40, 6, own CA)"
	@echo "make build        the collection artifact (ansible-galaxy collection build)"
	@echo "make artifact     build it and check it as Galaxy would (contents, install, galaxy-importer)"
	@echo "make changelog    release the changelog fragments as the version in galaxy.yml"

# galaxy-importer (what Galaxy runs on an upload) lives in a venv of its own: its pins conflict with requirements-dev.
IMPORTER_VENV := $(BUILD)/importer-venv
$(IMPORTER_VENV)/.installed: requirements-importer.txt constraints-importer.txt
	@test -x $(IMPORTER_VENV)/bin/python || $(SYSTEM_PYTHON) -m venv $(IMPORTER_VENV) || { echo "make: cannot create $(IMPORTER_VENV)"; exit 1; }
	$(IMPORTER_VENV)/bin/python -m pip install --disable-pip-version-check -q -r requirements-importer.txt || $(call fail,install galaxy-importer)
	@touch $@

importer-venv: $(IMPORTER_VENV)/.installed

# ansible-builder, bindep and vermin (requirements-tools.txt) in a venv of their own, apart from requirements-dev.
TOOLS_VENV := $(BUILD)/tools-venv
$(TOOLS_VENV)/.installed: requirements-tools.txt constraints-tools.txt
	@test -x $(TOOLS_VENV)/bin/python || $(SYSTEM_PYTHON) -m venv $(TOOLS_VENV) || { echo "make: cannot create $(TOOLS_VENV)"; exit 1; }
	$(TOOLS_VENV)/bin/python -m pip install --disable-pip-version-check -q -r requirements-tools.txt || $(call fail,install requirements-tools)
	@touch $@

tools-venv: $(TOOLS_VENV)/.installed

# The floor of the supported range (requirements-floor.txt): ansible-core 2.17 with amazon.aws 9.0.0 and
# community.crypto 2.22 (from the `ansible` 11.0.0 package, installed without its ansible-core 2.18 dependency),
# boto3/botocore 1.35.0 and cryptography 41.0.0, in a venv and a collections tree of its own.
FLOOR_VENV := $(BUILD)/floor-venv
FLOOR_BUILD := $(BUILD)/floor
FLOOR_COLLECTIONS_PACKAGE := ansible==11.0.0
FLOOR_LAYOUT := $(FLOOR_BUILD)/collections/ansible_collections/rolesanywhere/fleet
FLOOR_PYVER = $(shell $(FLOOR_VENV)/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
FLOOR_RUN := env PATH="$(FLOOR_VENV)/bin:$$PATH" PYTHONPATH="$(FLOOR_BUILD)/collections" ANSIBLE_COLLECTIONS_PATH="$(FLOOR_BUILD)/collections" PYTHONDONTWRITEBYTECODE=1
$(FLOOR_VENV)/.installed: requirements-floor.txt constraints-floor.txt
	@test -x $(FLOOR_VENV)/bin/python || $(SYSTEM_PYTHON) -m venv $(FLOOR_VENV) || { echo "make: cannot create $(FLOOR_VENV)"; exit 1; }
	$(FLOOR_VENV)/bin/python -m pip install --disable-pip-version-check -q -r requirements-floor.txt || $(call fail,install requirements-floor)
	$(FLOOR_VENV)/bin/python -m pip install --disable-pip-version-check -q --no-deps $(FLOOR_COLLECTIONS_PACKAGE) || $(call fail,install $(FLOOR_COLLECTIONS_PACKAGE))
	@touch $@

floor-venv: $(FLOOR_VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt
	@test -x $(BIN)/python || { \
	  test -n "$(PYTHON)" || { echo "make: Python $(PYTHON_NEWEST) not found (neither python$(PYTHON_NEWEST) on PATH nor under $${PYENV_ROOT:-$$HOME/.pyenv}/versions): install Python $(PYTHON_NEWEST) (apt-get install python$(PYTHON_NEWEST) python$(PYTHON_NEWEST)-venv, or pyenv install $(PYTHON_NEWEST)) or run make PYTHON=/path/to/python$(PYTHON_NEWEST)"; exit 1; }; \
	  $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 12))' || { echo "make: $(PYTHON) is not Python $(PYTHON_NEWEST) or newer, which ansible-core 2.21 needs: install Python $(PYTHON_NEWEST) or run make PYTHON=/path/to/python$(PYTHON_NEWEST)"; exit 1; }; \
	  $(PYTHON) -m venv $(VENV) || { echo "make: cannot create $(VENV) with $(PYTHON) -m venv"; exit 1; }; }
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements-dev.txt || $(call fail,install requirements)
	@touch $@

venv: $(VENV)/.installed

# Debian packages the tests drive (tests/system-packages.txt), installed with apt-get when missing (root, as on CI).
system-packages:
	@$(SYSTEM_PYTHON) tools/install_system_packages.py || $(call fail,system-packages)

# The checkout, mirrored where ansible-test wants it, next to the collections it depends on (ansible-test
# resolves collection dependencies only inside the same ansible_collections tree).
layout: venv
	@$(BIN)/python tools/layout.py $(BUILD) >/dev/null
	@site=$$($(BIN)/python -c 'import ansible_collections.amazon.aws as m, os; print(os.path.dirname(os.path.dirname(list(m.__path__)[0])))'); \
	  for ns in amazon community; do ln -sfn "$$site/$$ns" $(COLLECTIONS)/ansible_collections/$$ns; done

sanity: layout
	@echo "== ansible-test sanity"
	@$(BIN)/python tools/sanity_bootstrap.py
	@t0=$$(date +%s); cd $(LAYOUT) && $(RUN) ansible-test sanity --local --python $(PYVER) $(SANITY_ARGS) || $(call fail,sanity); $(call took,sanity)

# Two xdist workers (as the floor's units always ran): each test makes its own temporary files, servers and tokens.
units: layout system-packages
	@echo "== unit tests"
	@t0=$$(date +%s); cd $(LAYOUT) && $(PYTEST) -q -n 2 tests/unit $(PYTEST_ARGS) || $(call fail,units); $(call took,units)

# tests/functional/artifact runs galaxy-importer on the built artifact with the importer venv's Python. --dist worksteal:
# a few tests take 40-100 s, and an idle worker takes queued tests from the busy one instead of waiting at the end.
functional: layout importer-venv tools-venv system-packages
	@echo "== functional tests (emulator, moto, real clients)"
	@if [ -d $(LAYOUT)/tests/functional ]; then \
	  t0=$$(date +%s); cd $(LAYOUT) && ROLESANYWHERE_TEST_FLEET_SIZE=4 ROLESANYWHERE_TEST_LOOKUP_HOSTS=40 GALAXY_IMPORTER_PYTHON=$(IMPORTER_VENV)/bin/python RA_TOOLS_BIN=$(TOOLS_VENV)/bin $(PYTEST) -q -n 2 --dist worksteal --durations=15 tests/functional $(PYTEST_ARGS) || $(call fail,functional); $(call took,functional); \
	else echo "no functional tests yet"; fi

integration: layout
	@echo "== ansible-test integration (against the emulator)"
	@t0=$$(date +%s); cd $(LAYOUT) && $(RUN) $(BIN)/python tools/run_integration.py $(LAYOUT) $(INTEGRATION_ARGS) || $(call fail,integration); $(call took,integration)

# The acceptance scale (about 11 minutes on 2 cores): the enrolment lifecycle over 20 hosts, the lookup play over
# 200 hosts with forks 10, the paced rotation over 40 hosts; `make test` runs the same tests over 4, 40 and 6 hosts.
test-fleet: layout
	@echo "== fleet lifecycle over 20 hosts, lookup over 200 hosts, paced rotation over 40 hosts, containment with both signers"
	@t0=$$(date +%s); cd $(LAYOUT) && ROLESANYWHERE_TEST_FLEET_SIZE=20 ROLESANYWHERE_TEST_LOOKUP_HOSTS=200 ROLESANYWHERE_TEST_PACING_HOSTS=40 $(PYTEST) -q --durations=5 \
	  tests/functional/fleet/test_fleet.py tests/functional/lookup/test_lookup_play.py::test_many_hosts_one_create_session \
	  tests/functional/fleet/test_rotation_pacing.py::test_rotation_is_paced_to_the_quotas tests/functional/fleet/test_contain.py $(PYTEST_ARGS) \
	  || $(call fail,test-fleet); $(call took,test-fleet)

# ansible-test sanity and the unit tests on the floor of the supported range (the newest runs everything). pylint is
# left to the newest: its rules come with ansible-test's own pylint release, not with the core under test, and it
# alone takes over 10 minutes on 2 cores.
floor: floor-venv
	@echo "== floor: ansible-core 2.17, amazon.aws 9.0.0, community.crypto 2.22, boto3 1.35.0 (sanity, unit tests)"
	@$(FLOOR_VENV)/bin/python tools/layout.py $(FLOOR_BUILD) >/dev/null
	@site=$$($(FLOOR_VENV)/bin/python -c 'import ansible_collections.amazon.aws as m, os; print(os.path.dirname(os.path.dirname(list(m.__path__)[0])))'); \
	  for ns in amazon community; do ln -sfn "$$site/$$ns" $(FLOOR_BUILD)/collections/ansible_collections/$$ns; done
	@$(FLOOR_VENV)/bin/python tools/sanity_bootstrap.py
	@t0=$$(date +%s); cd $(FLOOR_LAYOUT) && $(FLOOR_RUN) ansible-test sanity --local --python $(FLOOR_PYVER) --skip-test pylint $(SANITY_ARGS) || $(call fail,floor sanity); \
	  $(FLOOR_RUN) $(FLOOR_VENV)/bin/python -m pytest -q -n 2 tests/unit $(PYTEST_ARGS) || $(call fail,floor units); $(call took,floor)

# The code that runs on managed hosts (modules, module_utils: the helper is built from them) stays valid for Python 3.8.
hostpython: tools-venv
	@echo "== host-side Python 3.8 (vermin)"
	@t0=$$(date +%s); $(SYSTEM_PYTHON) tools/check_host_python.py --vermin $(TOOLS_VENV)/bin/vermin || $(call fail,hostpython); $(call took,hostpython)

lint: layout
	@echo "== ansible-lint (production profile)"
	@if [ -d roles ] && [ -n "$$(ls roles playbooks 2>/dev/null)" ]; then \
	  t0=$$(date +%s); cd $(LAYOUT) && $(RUN) ansible-lint --profile production || $(call fail,lint); $(call took,lint); \
	else echo "no roles or playbooks yet"; fi

# Everything the steps install, side by side before the first step: each pip install is one process that spends
# much of its time unpacking and writing files, so the importer, tools and floor venvs and the Debian packages are
# ready about when .venv is (one after another they took about 4 minutes). Then the steps.
# A failed install prints its own "make: step 'install ...' FAILED" line; the sub-make's output is kept per target.
installs:
	@echo "== installs (venvs, Debian packages), side by side"
	@t0=$$(date +%s); $(MAKE) --no-print-directory -j 5 --output-sync=target venv importer-venv tools-venv floor-venv system-packages \
	  || $(call fail,installs); $(call took,installs)

# ansible-test sanity runs its tests one at a time, on one core: the floor (its sanity, then its units) runs beside it.
sanity-and-floor:
	@$(MAKE) --no-print-directory -j 2 --output-sync=target sanity floor

test: installs sanity-and-floor units hostpython functional integration lint
	@echo
	@echo "make test: all steps passed"

bench: layout
	@echo "== benchmarks"
	@cd $(LAYOUT) && for b in tests/benchmarks/bench_*.py; do \
	  [ -e "$$b" ] || continue; echo; echo "-- $$b"; $(RUN) $(BIN)/python $$b || $(call fail,bench $$b); done

demo: layout
	@if [ -f $(LAYOUT)/tools/demo.py ]; then \
	  cd $(LAYOUT) && $(RUN) $(BIN)/python tools/demo.py $(DEMO_ARGS) || $(call fail,demo); \
	else echo "make demo: the offline demo is not ready yet; run 'make test'."; fi

changelog: venv
	@$(RUN) antsibull-changelog lint && $(RUN) antsibull-changelog release --version $$(sed -n 's/^version: //p' galaxy.yml)

build: layout
	@cd $(LAYOUT) && $(RUN) ansible-galaxy collection build --force --output-path $(BUILD)

# The release check: build, no development files, installs into an empty collections path, galaxy-importer
# (with its ansible-lint) reports no error and no warning.
artifact: layout importer-venv
	@echo "== artifact (build, contents, install, galaxy-importer)"
	@t0=$$(date +%s); scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; \
	  cd $(LAYOUT) && $(RUN) $(BIN)/python tools/check_artifact.py --build --output-path $(BUILD) --install "$$scratch/collections" \
	    --galaxy-importer $(IMPORTER_VENV)/bin/python --galaxy-importer-lint || $(call fail,artifact); $(call took,artifact)

clean:
	rm -rf $(BUILD)
