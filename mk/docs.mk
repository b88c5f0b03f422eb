# The API reference and the list of targets.
#   make docs        HTML reference from include/raft.h's comments (Doxygen) into build/docs/html
#   make test-docs   the reference builds without a single Doxygen warning (undocumented
#                    declarations included), and every .PHONY target has a `## ` help line
#   make help        every target with one line each
# Doxygen's settings are docs/Doxyfile; its main page is docs/api.md. The help
# lines are `## description` comments right above a rule, read by mk/help.awk.
DOCS_OUT   := build/docs
DOCS_DEBS  := doxygen
HELP_FILES  = $(filter Makefile mk/%.mk,$(MAKEFILE_LIST))

.PHONY: help docs deps-docs test-docs

## list the targets, one line each
help:
	@echo "make targets (make TARGET; variables such as PREFIX=... are described in each file):"
	@awk -v mode=help -f mk/help.awk $(HELP_FILES)

## install Doxygen with apt-get, only if missing
deps-docs:
	@if command -v doxygen >/dev/null 2>&1; then \
	  echo "docs deps: doxygen present"; \
	else \
	  echo "docs deps: installing $(DOCS_DEBS)"; \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y $(DOCS_DEBS); \
	fi

## build the API reference (Doxygen, from include/raft.h) into build/docs/html
docs: deps-docs
	@rm -rf $(DOCS_OUT) && mkdir -p $(DOCS_OUT)
	@RAFT_VERSION=$(VERSION) RAFT_DOCS_OUT=$(DOCS_OUT) doxygen docs/Doxyfile || \
	  { cat $(DOCS_OUT)/warnings.log; echo "docs: doxygen failed"; exit 1; }
	@echo "docs: $(DOCS_OUT)/html/index.html"

## fail on any Doxygen warning, and on a .PHONY target without a help line
test-docs: docs
	@if [ -s $(DOCS_OUT)/warnings.log ]; then \
	  cat $(DOCS_OUT)/warnings.log; echo "test-docs: Doxygen warnings (fix the doc comments in src/ffi)"; exit 1; fi
	@test -s $(DOCS_OUT)/html/raft_8h.html || { echo "test-docs: no page for raft.h"; exit 1; }
	@awk -v mode=phony -f mk/help.awk $(HELP_FILES) | sort -u > $(DOCS_OUT)/phony.txt
	@awk -v mode=names -f mk/help.awk $(HELP_FILES) | cut -f1 | sort -u > $(DOCS_OUT)/documented.txt
	@missing=$$(comm -23 $(DOCS_OUT)/phony.txt $(DOCS_OUT)/documented.txt); \
	  if [ -n "$$missing" ]; then echo "test-docs: targets without a '## ' help line above their rule:" $$missing; exit 1; fi
	@echo "test-docs: reference built without warnings; $$(wc -l < $(DOCS_OUT)/documented.txt) targets documented"

TEST_TARGETS += test-docs
