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

.PHONY: help demo demo-playbooks test venv stage sanity units integration lint changelog-lint doc-check clean constraints

help:
	@echo "make demo   - run the example playbooks against the bundled SendClean simulator"
	@echo "make test   - sanity, unit, integration tests and lint (see README)"

$(STAMP): requirements.txt tests/requirements.txt tests/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r tests/requirements.txt -c tests/constraints.txt
	touch $@

venv: $(STAMP)

# ansible-test runs only from .../ansible_collections/sendclean/mta, and must not download get-pip.
stage: venv
	$(BIN)/python tests/utils/stage_collection.py --dest $(COLLECTIONS)
	$(BIN)/python tests/utils/install_get_pip.py

demo: stage
	$(WITH_SIMULATOR) --workdir build/demo -- $(MAKE) --no-print-directory demo-playbooks

DEMO_RUN := $(ANSIBLE_ENV) $(BIN)/ansible-playbook -i docs/examples/inventory.ini -e sendclean_registry=$(CURDIR)/build/demo/registry.json

demo-playbooks:
	rm -f build/demo/registry.json
	@echo "=== 1. create a user for each mail sender ==="
	$(DEMO_RUN) docs/examples/provision_users.yml
	@echo "=== 2. raise the web servers' hourly limit: one edit each, shown as a diff ==="
	$(DEMO_RUN) docs/examples/change_limits.yml -e web_hourly_limit=800 --diff
	@echo "=== 3. run both again: everything is in place, so nothing changes (changed=0) ==="
	$(DEMO_RUN) docs/examples/provision_users.yml -e web_hourly_limit=800
	$(DEMO_RUN) docs/examples/change_limits.yml -e web_hourly_limit=800

test: sanity units integration lint changelog-lint doc-check

sanity: stage
	$(ANSIBLE_TEST) sanity --python $(ANSIBLE_PYTHON_VERSION) --color no

units: stage
	$(ANSIBLE_TEST) units --local --python $(ANSIBLE_PYTHON_VERSION) --color no

integration: stage
	$(WITH_SIMULATOR) --workdir build/integration --config-out $(STAGED)/tests/integration/integration_config.yml -- \
		sh -c '$(ANSIBLE_TEST) integration --local --python $(ANSIBLE_PYTHON_VERSION) --color no'

lint: stage
	$(ANSIBLE_ENV) $(BIN)/ansible-lint

# Every module's documentation renders, with its environment fallbacks and the action group.
doc-check: stage
	@for module in sendclean_smtp_user sendclean_smtp_info; do \
		$(ANSIBLE_ENV) $(BIN)/ansible-doc sendclean.mta.$$module > build/$$module.txt || exit 1; \
		for text in SENDCLEAN_TOKEN SENDCLEAN_OWNER_ID SENDCLEAN_APP_DOMAIN SENDCLEAN_API_URL sendclean.mta.sendclean; do \
			grep -q "$$text" build/$$module.txt || { echo "ansible-doc $$module lacks $$text"; exit 1; }; \
		done; \
	done
	@echo "doc-check: ansible-doc renders both modules with env fallbacks and the action group"

changelog-lint: venv
	$(BIN)/antsibull-changelog lint

constraints: venv
	$(BIN)/pip freeze --exclude-editable | sed '1i # Exact versions for tests/requirements.txt (pip freeze of a working .venv); regenerate with `make constraints`.' > tests/constraints.txt

clean:
	rm -rf build tests/output
