# switchboard — hotel front-office edge gateway.
#   make run    build and start the gateway on its embedded default, showing its events
#   make test   install what the tests need (Debian packages) and run every test
#   make bench  run the benchmarks that docs/performance.md records
#   make lint   gofmt + go vet
#   make deb    the Debian package, in dist/ (docs/operations.md, "Install and service")

GO       ?= go
BIN      := bin/switchboard
VERSION  := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X switchboard/internal/gateway.Version=$(VERSION)
# A count, not a duration: with a duration, Go 1.26's fuzz coordinator can
# report a spurious "context deadline exceeded" at the boundary on a loaded
# machine (golang/go#75804, fixed in 1.27).
FUZZTIME ?= 10000x

.PHONY: all build run demo test unit fuzz bench soak lint deps clean deb

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/switchboard

run: build
	$(BIN) demo

# The package's binary is static (CGO_ENABLED=0: the pure-Go resolver; no
# other package of the binary uses cgo), so the package needs no libc6.
# packaging/build-deb.sh explains the rest; test/deb (run by `unit`, so in
# `make test`, about 30 s) builds the package the same way and checks it.
DEB_BIN := bin/deb/switchboard
deb:
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o $(DEB_BIN) ./cmd/switchboard
	packaging/build-deb.sh $(DEB_BIN) dist

deps:
	@test/install-deps.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	 if [ -n "$$out" ]; then echo "gofmt: not formatted:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

test: deps lint build unit fuzz

# The fax line (test/faxpeer) runs spandsp in 20 ms real-time ticks, and a
# fax host must answer it within T.30's budgets: the packages that call it
# run after the rest, so they do not share the two cores with every other
# package's tests. A line is real time, not CPU: a call lasts 25-110 s but
# faxpeer (SCHED_FIFO when root) and the host use a few CPU seconds between
# them, so the two fax packages run side by side (-p 2) with all their line
# tests at once: -parallel above their count of parallel tests (about 20),
# where go test's default (GOMAXPROCS, 2 here) would queue them two by two.
# internal/gateway follows on its own, with the same -parallel: its five
# fax-line tests (23-43 s each) then run at once after its other tests,
# instead of two by two (74 s for the package instead of 119 s). test/console (the console's scripted
# day in chromium) sends a fax on the line too, so it runs in this group.
FAXLINE_PKGS := ./test/faxpeer/... ./drivers/faxmodem/... ./test/console/...
FAXLINE_PARALLEL := 24
GATEWAY_PKGS := ./internal/gateway/...
unit:
	$(GO) test -count=1 -timeout 20m $$($(GO) list ./... | grep -v -e '/test/faxpeer' -e '/drivers/faxmodem' -e '/test/console' -e '/internal/gateway')
	$(GO) test -count=1 -p 2 -parallel $(FAXLINE_PARALLEL) -timeout 15m $(FAXLINE_PKGS)
	$(GO) test -count=1 -p 1 -parallel $(FAXLINE_PARALLEL) -timeout 15m $(GATEWAY_PKGS)

# Every fuzz target, briefly; run longer by hand: make fuzz FUZZTIME=5m (or 1000000x)
fuzz:
	@set -e; for f in $$(grep -rlE '^func Fuzz' --include='*_test.go' .); do \
	  pkg=./$$(dirname $$f); \
	  for t in $$(grep -hoE '^func Fuzz[A-Za-z0-9_]+' $$f | sed 's/^func //'); do \
	    echo "fuzz $$pkg $$t ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) $$pkg >/tmp/switchboard-fuzz.log 2>&1 || { cat /tmp/switchboard-fuzz.log; exit 1; }; \
	  done; \
	done

# The fault soak (docs/operations.md): SOAK=2h make soak for a long one;
# make test runs its 60-second version. The bridge to a central broker's
# test (a 60 s cut) runs beside it.
SOAK ?= 10m
soak: deps
	SOAK=$(SOAK) SB_BRIDGE_CUT=60s $(GO) test -count=1 -timeout 0 -run '^(TestFaultSoak|TestBridgeToCentralBroker)$$' -v ./test/e2e

# The nightly retention's benchmark runs once (-benchtime 1x) on a store of
# 400 days of a 500-room hotel, generated on the first run (minutes) and
# cached in $$TMPDIR (internal/retention/bench_test.go).
# The console's pages are measured on a 400-day ledger of 1,000,000 calls
# (internal/console/bench_ledger_test.go: about 2 minutes to build the first
# time, cached in $$TMPDIR; BenchmarkConsolePages skips without
# SB_CONSOLE_LEDGER=1), and the event latency over 1,000 events;
# BenchmarkIdleConsoles (a minute: two 30 s windows) runs in the first line.
bench: deps
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1s $$($(GO) list ./... | grep -v '/internal/retention$$') | tee bench.txt
	$(GO) test -run '^$$' -bench NightlyPurge -benchtime 1x -timeout 60m ./internal/retention | tee -a bench.txt
	SB_CONSOLE_LEDGER=1 $(GO) test -run '^$$' -bench ConsolePages -benchtime 100x -timeout 30m ./internal/console | tee -a bench.txt
	$(GO) test -run '^$$' -bench EventToBrowser -benchtime 1000x -timeout 30m ./internal/console | tee -a bench.txt

clean:
	rm -rf bin dist bench.txt
