# secpipe: build, test and measure.
GO      ?= go
BIN     := bin/secpipe
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/secpipe/secpipe/pkg/cli.Version=$(VERSION)
DEMO    := demo

SIGMA   ?= ../shared/sigma
SIGMA_RULES := --rules $(SIGMA)/rules --rules $(SIGMA)/rules-emerging-threats --rules $(SIGMA)/rules-threat-hunting

.PHONY: all build install demo test test-race examples lint fmt bench bench-deps eval eval-real sigmahq conformance jaeger e2e soak fuzz db-deps db-up db-down clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/secpipe

install:
	$(GO) install -trimpath -ldflags '$(LDFLAGS)' ./cmd/secpipe

# The main job end to end on the embedded defaults: generate, classify,
# store, then print the statistics and draw the chart.
demo: build
	@mkdir -p $(DEMO) && rm -f $(DEMO)/tactics.csv
	$(BIN) gen --count 50000 --seed 42 | $(BIN) classify | $(BIN) store $(DEMO)/tactics.csv
	$(BIN) stats $(DEMO)/tactics.csv --chart $(DEMO)/tactics.png --navigator $(DEMO)/layer.json
	@echo "chart: $(DEMO)/tactics.png  ATT&CK Navigator layer: $(DEMO)/layer.json"
	@echo 'secpipe is bin/secpipe; to run it as secpipe: export PATH="$$PWD/bin:$$PATH"'

# Unit, CLI and example tests: no services, no network.
test: build examples
	$(GO) test ./...

test-race:
	$(GO) test -race ./...

examples: build
	PATH="$(CURDIR)/bin:$$PATH" ./examples/run.sh

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

# Speed and memory against the course lab's Python pipeline, side by side.
bench: build jaeger
	./scripts/bench.sh

# What make bench needs besides Go (Debian): pandas and matplotlib for the lab's
# stats, kcat for the publish comparison, GNU time for peak memory,
# evtxexport for the .evtx comparison.
bench-deps:
	apt-get update && apt-get install -y python3-pandas python3-matplotlib kcat jq time bc util-linux libevtx-utils

# Detection quality of the default pack on a million events (a seed no test
# uses), against gen's ground truth: what the attacker did, with benign
# traffic not shaped around the rules. At least 0.95 per tactic. (The
# pack's SigmaHQ part keeps off gen's ECS and lab events: secpipe's own
# rules judge them.)
eval: build
	$(BIN) gen --count 1000000 --seed 20261125 | $(BIN) classify | $(BIN) eval --min-precision 0.95 --min-recall 0.95

# Detection on real attack logs recorded by others (../shared/realdata, the
# shared half of each set): the default pack scored per labelled file, with
# the whole SigmaHQ corpus through the same engine beside it. The gates sit
# just below what the default pack reaches (README, Detection).
REALDATA ?= ../shared/realdata
eval-real: build
	$(BIN) eval --labels $(REALDATA)/otrf-mordor-atomic/labels.csv --labels $(REALDATA)/evtx-to-mitre/labels.csv \
		--versus $(SIGMA)/rules \
		--min-technique-hit otrf-mordor-atomic=0.85,evtx-to-mitre=0.75 --max-wrong 2.9

# Regenerate the embedded sigmahq pack from the SigmaHQ checkout in $(SIGMA)
# (selection: scripts/sigmacurate/main.go; left out: exclude.txt).
sigmahq:
	$(GO) run ./scripts/sigmacurate -sigma $(SIGMA) -out pkg/classify/sigmahq

# SigmaHQ conformance: the whole corpus loads (at least 99%), and every
# regression case is matched by its rule (or listed with the unsupported
# feature). Needs the corpus in $(SIGMA).
conformance: build
	$(BIN) rules lint --summary --min-loaded 0.99 $(SIGMA)/rules $(SIGMA)/rules-emerging-threats $(SIGMA)/rules-threat-hunting
	$(BIN) rules test --no-builtin $(SIGMA_RULES) $(SIGMA)/regression

# Soak: gen --rate | publish -> classify -> store over secpipe broker for
# SOAK_SECONDS at SOAK_RATE events/s, sampling memory and lag every 10 s.
SOAK_SECONDS ?= 600
SOAK_RATE    ?= 2000
soak: build
	./scripts/soak.sh $(SOAK_SECONDS) $(SOAK_RATE)

# Each fuzz target for FUZZTIME (default 20s).
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

# Jaeger v2 for the end-to-end tests, built from its own module
# (tools/jaeger) with Go's build cache: the first build takes minutes, the
# next ones seconds. It serves the query API, not the UI (use the Jaeger
# of scripts/compose.yml to browse traces).
jaeger:
	cd tools/jaeger && $(GO) build -o ../../bin/jaeger github.com/jaegertracing/jaeger/cmd/jaeger

# Traces across processes in a real Jaeger: gen | publish, classify and
# store over topics on secpipe broker; gen | classify | store on pipes; a
# chain broken by a refused event.
e2e: build jaeger
	SECPIPE=$(CURDIR)/$(BIN) JAEGER=$(CURDIR)/bin/jaeger JAEGER_CONFIG=$(CURDIR)/tools/jaeger/config.yaml \
		$(GO) test -tags e2e -count=1 ./e2e/ -v

# A throwaway PostgreSQL (127.0.0.1:55432) and ClickHouse (127.0.0.1:59000)
# for the database tests and for trying the database sinks:
# eval "$$(make -s db-up)" exports SECPIPE_TEST_POSTGRES and
# SECPIPE_TEST_CLICKHOUSE, which the tests connect to (without them they skip).
db-deps:
	apt-get update && apt-get install -y postgresql clickhouse-server clickhouse-client

db-up:
	@./scripts/db-up.sh

db-down:
	@./scripts/db-up.sh stop

clean:
	rm -rf bin $(DEMO)
