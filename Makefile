# The README's two commands: `make demo` and `make test`. Everything else here serves them.
# A fresh machine needs only python3, git and make; the first run builds .venv from tests/requirements.txt.

PYTHON ?= python3
ANSIBLE_PYTHON_VERSION ?= 3.11
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COLLECTIONS := $(CURDIR)/build/collections
STAGED := $(COLLECTIONS)/ansible_collections/sendclean/mta
WITH_SIMULATOR := $(BIN)/python tests/simulator/harness.py run
ANSIBLE_ENV := ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) ANSIBLE_PYTHON_INTERPRETER=$(BIN)/python \
	ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false PATH=$(BIN):$$PATH
ANSIBLE_TEST := cd $(STAGED) && $(ANSIBLE_ENV) $(BIN)/ansible-test

.PHONY: help demo demo-playbooks demo-check simulator install bench test venv stage sanity units integration test-platforms lint changelog-lint doc-check clean constraints test-matrix docs docs-check ee-check package package-check awx-check importer-check importer-constraints release secrets-audit

help:
	@echo "make demo   - run the example playbooks against the bundled SendClean simulator"
	@echo "make test   - sanity, unit, integration tests and lint (see README)"
	@echo "make install, make simulator - try it yourself (see README)"

$(STAMP): requirements.txt tests/requirements.txt tests/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r tests/requirements.txt -c tests/constraints.txt
	touch $@

venv: $(STAMP)

# ansible-test runs only from .../ansible_collections/sendclean/mta, and must not download get-pip.
stage: venv
	$(BIN)/python tests/utils/stage_collection.py --dest $(COLLECTIONS)
	$(BIN)/python tests/utils/install_get_pip.py

# The demo runs docs/examples/ against a fresh simulator account, with the inventory docs/examples/demo/ copied to
# build/demo/: all it writes (the registry next to the inventory, the hosts' rendered files, the simulator's state)
# stays under build/. Each playbook's command is shown as you would type it in the .venv, without the Makefile's
# environment (ANSIBLE_ENV: the staged collection, the .venv's Python).
DEMO := build/demo

define demo_run
@echo '$$ ansible-playbook -i $(DEMO)/inventory.ini $(1)'
@$(ANSIBLE_ENV) $(BIN)/ansible-playbook -i $(DEMO)/inventory.ini $(1)
endef

# The hosts' /etc/postfix is there, as Postfix's package would leave it (the demo installs no package).
demo: stage
	rm -rf $(DEMO) && mkdir -p build && cp -R docs/examples/demo $(DEMO)
	mkdir -p $(DEMO)/root/mail1/etc/postfix $(DEMO)/root/mail2/etc/postfix
	$(WITH_SIMULATOR) --workdir $(DEMO) -- $(MAKE) --no-print-directory demo-playbooks

demo-playbooks:
	@echo "=== 1. create a user for each mail sender ==="
	$(call demo_run,docs/examples/provision_users.yml)
	@echo "=== 2. raise the web servers' hourly limit: one edit each, shown as a diff ==="
	$(call demo_run,docs/examples/change_limits.yml -e web_hourly_limit=800 --diff)
	@echo "=== 3. run both again: everything is in place, so nothing changes (changed=0) ==="
	$(call demo_run,docs/examples/provision_users.yml -e web_hourly_limit=800)
	$(call demo_run,docs/examples/change_limits.yml -e web_hourly_limit=800)
	@echo "=== 4. the smtp_relay role: mail1 and mail2 relay through SendClean, each as its own user, and mail1's two senders as theirs ==="
	$(call demo_run,docs/examples/smtp_relay.yml --diff)
	@echo "=== 5. the role again: nothing changes (changed=0) ==="
	$(call demo_run,docs/examples/smtp_relay.yml)
	@echo "=== 6. what the demo made ==="
	$(call demo_run,docs/examples/show_relay_users.yml)
	@echo "Next: README.md \"Try it yourself\" (make simulator serves this account for your own commands),"
	@echo "docs/guide.md (the modules) and docs/guide-smtp-relay.md (the role)."

# make demo under a check: every step passed, the reruns changed nothing, the summary matches the simulator's
# account, no secret is in the output, and the work tree has nothing new outside ignored folders.
demo-check: stage
	$(BIN)/python tests/utils/check_demo.py --demo-dir $(DEMO) --log build/demo.log -- $(MAKE) --no-print-directory demo

# Try it yourself (README): the simulator in the foreground until Ctrl-C, printing the exports for another shell.
# Its account lives in build/try/ across restarts; the first start copies there what the last `make demo` left
# (the account, the inventory with the registry and the rendered hosts).
TRY := build/try

simulator: venv
	@if [ -e $(TRY) ]; then true; elif [ -e $(DEMO)/state.json ]; then \
		cp -R $(DEMO) $(TRY) && rm -f $(TRY)/simulator.* && echo "# $(TRY)/ starts as a copy of what make demo left in $(DEMO)/"; \
	else echo "# no make demo has run: the account in $(TRY)/ starts empty"; fi
	@$(BIN)/python tests/simulator/harness.py serve --workdir $(TRY)

# Try it yourself: build the collection's tarball and install it where ansible finds it with no setting (your
# ~/.ansible/collections), or into INSTALL_COLLECTIONS_PATH.
INSTALL_COLLECTIONS_PATH ?= $(HOME)/.ansible/collections

install: package
	$(BIN)/ansible-galaxy collection install --offline --force -p $(INSTALL_COLLECTIONS_PATH) $(TARBALL)

# Speed and memory targets of the scale issue: figures on this machine, written to docs/benchmark-results.json.
# A benchmark, not a test: it is never part of `make test`, and it exits 1 when a target is missed.
# BENCH_FIGURES="module_floor" measures only the figures named (the others stay from the last results, marked so).
# BENCH_ROLE_SIZES="4" runs the role_vs_play figure over 4 hosts only, for a quick look (do not commit its results).
bench: stage
	$(BIN)/python tests/bench/bench.py --collections $(COLLECTIONS) --python $(BIN)/python --runs $(BENCH_RUNS) \
		--out docs/benchmark-results.json --summary docs/benchmarks.md $(if $(BENCH_FIGURES),--figures $(BENCH_FIGURES)) \
		--role-sizes $(BENCH_ROLE_SIZES)

BENCH_RUNS ?= 3
BENCH_FIGURES ?=
BENCH_ROLE_SIZES ?= 20 100

test: sanity units integration lint changelog-lint doc-check test-matrix docs-check ee-check package-check importer-check awx-check \
	demo-check \
	$(if $(filter 1,$(E2E)),test-platforms)

sanity: stage
	$(ANSIBLE_TEST) sanity --python $(ANSIBLE_PYTHON_VERSION) --color no

units: stage
	$(ANSIBLE_TEST) units --local --python $(ANSIBLE_PYTHON_VERSION) --color no

# Every integration target against a fresh simulator, once, at -vvv --diff: the secrets audit scans that whole output
# for the token and every SMTP password the simulator issued (leaks must be 0). The targets run in two lanes side by
# side, each with its own simulator and audit.
# E2E=1 (as root, Debian/Ubuntu; .ci/run always sets it) switches on tier 2 of the smtp_relay role: real Postfix,
# installed from the OS packages, relaying through a local TLS + AUTH relay (the smtp_relay_postfix target).
# `make test E2E=1` runs tier 2 only through test-platforms: its roots run the whole step list of smtp_relay_postfix,
# and its bookworm root is the release of this (CI's) host, so tier 2 on this host too would repeat that run.
# HOST_TIER2=1 runs it on this host: `make integration E2E=1` sets it, so
# `make integration INTEGRATION_ARGS=smtp_relay_postfix E2E=1` runs tier 2 here alone.
E2E ?= 0
HOST_TIER2 ?= $(E2E)
test: HOST_TIER2 = 0

# The secrets audit in lanes side by side (tests/utils/audit_lanes.py), each from its own staged copy, with its own
# simulator and logs in build/lanes/<lane>/ (audit.log: the -vvv output, 0600).
AUDIT_LANES := $(ANSIBLE_ENV) $(BIN)/python tests/utils/audit_lanes.py --python $(ANSIBLE_PYTHON_VERSION)
# The targets of make integration's second lane, about half the time of all (side by side, measured: 651 s in this
# lane, 636 s in the other); the first lane runs every other target.
INTEGRATION_SECOND_LANE := smtp_relay_render sendclean_smtp_user reliability_fault_storm

# ansible-test runs a destructive target (smtp_relay_postfix) only with --allow-destructive, even when it is named.
integration: stage
ifeq ($(E2E),1)
	@test "$$(id -u)" = 0 || { echo "E2E=1 installs and runs Postfix: run it as root"; exit 1; }
endif
	$(AUDIT_LANES) integration $(if $(filter 1,$(HOST_TIER2)),--allow-destructive) \
		--second-lane "$(INTEGRATION_SECOND_LANE)" $(INTEGRATION_ARGS)
	@$(if $(filter 1,$(HOST_TIER2)),true,echo "SKIPPED: $(if $(filter 1,$(E2E)),$(SKIPPED_HOST_TIER2),$(SKIPPED_TIER2))")

SKIPPED_HOST_TIER2 = smtp_relay_postfix on this host: 'make test E2E=1' runs tier 2 in test-platforms' Debian roots \
	($(PLATFORMS)) instead; to run it here: make integration INTEGRATION_ARGS=smtp_relay_postfix E2E=1
SKIPPED_TIER2 = smtp_relay_postfix (tier 2: real Postfix, destructive, needs root): as root, 'make test E2E=1' runs it \
	in test-platforms (Debian roots), 'make integration E2E=1' on this host

# Tier 2 of the smtp_relay role on each Debian release the role claims (PLATFORMS), each in a root file system
# under build/platforms built with debootstrap from Debian's archive (kept: later runs copy it afresh), reached over
# ssh. As root, under the same secrets audit; the releases side by side, a lane each (build/lanes/<release>/).
# `make test E2E=1` runs it after everything else. See docs/testing.md.
PLATFORMS_DIR ?= $(CURDIR)/build/platforms
PLATFORMS ?= bookworm trixie

test-platforms: stage
	@test "$$(id -u)" = 0 || { echo "test-platforms builds root file systems and runs Postfix in them: run it as root"; exit 1; }
	$(AUDIT_LANES) platforms --platforms-dir $(PLATFORMS_DIR) --releases "$(PLATFORMS)"

lint: stage
	$(ANSIBLE_ENV) $(BIN)/ansible-lint

# Every module's documentation renders: the API modules' with their environment fallbacks and the action group; the
# smtp_relay role's internal modules' with an ansible-doc -l line that says so.
doc-check: stage
	@for module in sendclean_smtp_user sendclean_smtp_info sendclean_relay_users sendclean_relay_unclaimed; do \
		$(ANSIBLE_ENV) $(BIN)/ansible-doc sendclean.mta.$$module > build/$$module.txt || exit 1; \
		for text in SENDCLEAN_TOKEN SENDCLEAN_OWNER_ID SENDCLEAN_APP_DOMAIN SENDCLEAN_API_URL group/sendclean.mta.sendclean; do \
			grep -q "$$text" build/$$module.txt || { echo "ansible-doc $$module lacks $$text"; exit 1; }; \
		done; \
	done
	@for module in sendclean_relay_facts sendclean_relay_plan sendclean_relay_credentials sendclean_relay_exim4_transport sendclean_relay_record; do \
		$(ANSIBLE_ENV) $(BIN)/ansible-doc sendclean.mta.$$module > build/$$module.txt || exit 1; \
	done
	@# As JSON: the text listing cuts descriptions at 80 columns when its output is no terminal.
	@$(ANSIBLE_ENV) $(BIN)/ansible-doc -l -j sendclean.mta > build/ansible-doc-list.json
	@for module in sendclean_relay_facts sendclean_relay_plan sendclean_relay_credentials sendclean_relay_exim4_transport sendclean_relay_record \
			sendclean_relay_users sendclean_relay_unclaimed; do \
		grep -q "\"sendclean.mta.$$module\": \"Internal to the smtp_relay role" build/ansible-doc-list.json \
			|| { echo "ansible-doc -l does not say $$module is internal to the smtp_relay role"; exit 1; }; \
	done
	@echo "doc-check: ansible-doc renders the API modules with env fallbacks and the action group, and the role's internal modules"

changelog-lint: venv
	$(BIN)/antsibull-changelog lint

constraints: venv
	$(BIN)/pip freeze --exclude-editable | sed '1i # Exact versions for tests/requirements.txt (pip freeze of a working .venv); regenerate with `make constraints`.' > tests/constraints.txt

clean:
	rm -rf build tests/output

# --- ecosystem: matrix, docs, execution environment, packaging ---
# ansible-core 2.20 (Python 3.12) and 2.21 (Python 3.13), each in build/matrix/<version>/venv;
# 2.19 (Python 3.11) is what sanity, units and integration above run.
# A leg whose Python is missing prints SKIPPED and does not count as passed; MATRIX_ARGS=--require-all makes it fail.
# The legs test side by side (their integration mostly waits on processes), each line of output after the leg's
# version in brackets; build/matrix/<version>/test-matrix.log keeps a leg's output. MATRIX_ARGS="--only 2.20": one leg.
test-matrix: venv
	$(BIN)/python tests/utils/run_matrix.py --base-python $(ANSIBLE_PYTHON_VERSION) $(MATRIX_ARGS)

# The plugin and role reference in docs/reference/ is generated from the modules' and roles' own documentation.
ANTSIBULL_DOCS := $(ANSIBLE_ENV) $(BIN)/antsibull-docs
DOCS_REFERENCE := $(ANTSIBULL_DOCS) collection --use-current --squash-hierarchy --fail-on-error \
	--no-add-antsibull-docs-version --output-format simplified-rst

docs: stage
	rm -rf docs/reference && mkdir -p docs/reference
	$(DOCS_REFERENCE) --dest-dir $(CURDIR)/docs/reference sendclean.mta

docs-check: stage
	rm -rf build/docs-check && mkdir -p build/docs-check
	$(DOCS_REFERENCE) --dest-dir $(CURDIR)/build/docs-check sendclean.mta
	@diff -ru docs/reference build/docs-check || { echo "docs-check: docs/reference is out of date: run make docs"; exit 1; }
	cd $(STAGED) && $(ANTSIBULL_DOCS) lint-collection-docs --plugin-docs .
	@echo "docs-check: docs/reference is current and antsibull-docs lint-collection-docs passes"

ee-check: stage
	$(BIN)/python tests/utils/check_ee.py --collections-path $(COLLECTIONS)

# The tarball to publish: ansible-galaxy collection build of the staged collection. package-check and importer-check
# both check it; in one make run it is built once.
PACKAGE_DIR := $(CURDIR)/build/package
TARBALL := $(PACKAGE_DIR)/sendclean-mta-$(shell sed -n 's/^version: *//p' galaxy.yml).tar.gz

package: stage
	rm -rf $(PACKAGE_DIR)
	$(BIN)/ansible-galaxy collection build --output-path $(PACKAGE_DIR) $(STAGED)

package-check: package
	$(WITH_SIMULATOR) --workdir build/package-check -- $(BIN)/python tests/utils/check_package.py --tarball $(TARBALL)

# galaxy-importer, the checker Galaxy and Automation Hub run on every upload, on that tarball, from a venv of its own
# (tests/importer-requirements.txt says why) with the settings of tests/galaxy-importer.cfg.
IMPORTER_VENV := $(CURDIR)/build/galaxy-importer/venv
IMPORTER_STAMP := $(IMPORTER_VENV)/.installed

$(IMPORTER_STAMP): tests/importer-requirements.txt tests/importer-constraints.txt
	rm -rf $(IMPORTER_VENV)
	$(PYTHON) -m venv $(IMPORTER_VENV)
	$(IMPORTER_VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/importer-requirements.txt \
		-c tests/importer-constraints.txt
	touch $@

importer-check: package $(IMPORTER_STAMP)
	$(IMPORTER_VENV)/bin/python tests/utils/check_importer.py --config tests/galaxy-importer.cfg \
		--workdir build/galaxy-importer/run $(TARBALL)

importer-constraints: $(IMPORTER_STAMP)
	$(IMPORTER_VENV)/bin/pip freeze --exclude-editable | sed '1i # Exact versions for tests/importer-requirements.txt (pip freeze of build/galaxy-importer/venv); regenerate with `make importer-constraints`.' > tests/importer-constraints.txt

# The smtp_relay role run twice as AWX/AAP jobs: ansible-runner, a fresh private data directory per job, the
# credentials injected by the shipped credential type (extensions/awx/credential_type.yml). See docs/awx.md.
awx-check: stage
	$(BIN)/python tests/utils/check_awx_runner.py --collections $(COLLECTIONS) --workdir build/awx-check

# The lead's last step of a release: turn changelogs/fragments/ into changelogs/changelog.yaml and CHANGELOG.rst
# for the version in galaxy.yml (see docs/releasing.md). It consumes the fragments: run it once, then commit.
release: venv
	PATH=$(BIN):$$PATH $(BIN)/antsibull-changelog release
	$(BIN)/antsibull-changelog lint

# --- reliability and security proof ---
# The reliability targets (reliability_*) and the secrets audit run in `make integration`.
secrets-audit: integration
