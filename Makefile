# ccfacade — make run serves the built-in demo (PORT=… to choose the port,
# 8080 by default); make test runs every test.
GO      ?= go
BIN     := bin/ccfacade
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/ccfacade/ccfacade/internal/cli.Version=$(VERSION)
# The race detector needs cgo (a C compiler); without one, tests run without it.
RACE    := $(if $(shell command -v gcc 2>/dev/null),-race,)

.PHONY: build run run-secure test test-race test-plain vet golden bench bench-memory fuzz lint-demo clean

# nomsgpack: gin without its MessagePack codec (the facade speaks JSON and
# XML), a dependency less to compile, in the binary and in the tests.
TAGS    := nomsgpack

build:
	CGO_ENABLED=0 $(GO) build -tags $(TAGS) -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/ccfacade

# make run PORT=9000 serves on another port (also make run-secure).
run: build
	./$(BIN) serve -listen 127.0.0.1:$(or $(PORT),8080)

# The demo over HTTPS with JWT on (certificate and keys made on first use);
# tokens: bin/ccfacade token -patient 3
run-secure: build
	./$(BIN) serve -secure-demo -listen 127.0.0.1:$(or $(PORT),8443)

# make test is two parts side by side:
#
# test-race: the code that runs goroutines or shares state between
# requests, under the race detector: the adapters with connections
# (pools, statement caches), the audit trail, the JWKS cache, the engine
# ($everything's sections in parallel, the statement cache), the HTTP
# layer, the harnesses that serve it, and serve's listeners and shutdown
# (internal/cli's serving tests, CLI_RACE). Then, without the detector,
# the CLI's other tests.
#
# test-plain: the rest, without the detector. Parsers, generators, the
# SQL spellers and the mapping language run on one goroutine (mapping's
# shared caches and the demo loader's pipeline run under the detector in
# the engine's, the server's and the adapters' tests). The end-to-end
# tests of ./test drive over HTTP the engine and server test-race covers;
# under the detector they took four times longer.
#
# go vet is make vet, apart (CI runs both): vetting a package type-checks
# from source every package it imports, google/fhir's generated code and
# the standard library included: about 160 CPU-seconds of a first
# make test when it was part of it.
# The longest packages come first in each list: go test starts building
# and running them first. (Compiling SQLite's translated C without instrumentation,
# -race=false for modernc.org/..., saved a tenth of the race tests' time
# but made the detector report races that were not there, with garbled
# stacks: every package of a race build is instrumented.)
#
# The tests allocate freely and memory is plentiful: GOGC=400 (unless set)
# lets the heap grow to five times what is live between collections
# instead of twice, and takes a sixth off the end-to-end tests' CPU time.
# (It reaches the compiler and linker too: more memory, the same time.)
RACE_PKGS  := ./server ./engine ./internal/demotest ./adapters ./adapters/mysql ./adapters/postgres ./adapters/sqlite ./audit ./auth ./internal/pgtest ./internal/mysqltest
RACEFLAGS  := $(RACE)
CLI_RACE   := ^(TestServe|TestAdminListener|TestSecureDemo|TestDemoServesGPConnect)
PLAIN_PKGS  = ./test $(filter-out $(shell $(GO) list $(RACE_PKGS) ./internal/cli ./test),$(shell $(GO) list ./...))
# -parallel 4: a test's backends (SQLite, PostgreSQL, MySQL) run as
# parallel subtests, and wait on three different servers; the end-to-end
# tests of ./test run side by side too. -ldflags=-w:
# test binaries without DWARF (debuggers' data; stack traces keep their
# lines) link in two thirds of the time.
TESTFLAGS  ?= -count=1 -timeout 30m -parallel 4 -ldflags=-w
GOTEST      = $(GO) test -tags $(TAGS) -vet=off $(TESTFLAGS)
GOGC       ?= 400
test test-race test-plain: export GOGC := $(GOGC)

# Lines of the two runs are kept whole where make can (GNU make 4).
test:
	@$(MAKE) --no-print-directory -j2 $(if $(filter output-sync,$(.FEATURES)),-Oline) test-race test-plain

# One part: make test-race, make test-plain; one package: go test ./server;
# one test: go test ./test -run TestSearchOracleDemo.
test-race:
	$(GOTEST) $(RACEFLAGS) $(RACE_PKGS)
	$(GOTEST) $(RACEFLAGS) -run '$(CLI_RACE)' ./internal/cli
	$(GOTEST) -skip '$(CLI_RACE)' ./internal/cli

test-plain:
	$(GOTEST) $(PLAIN_PKGS)

# Every go vet check over every package, tests included.
vet:
	$(GO) vet -tags $(TAGS) ./...

# Rewrite the golden files from the current output (review the diff!).
golden:
	$(GO) test -tags $(TAGS) ./test -run Golden -update

# The benchmark: every interaction, PostgreSQL with 100,000 and 1,000,000
# patients, the facade next to its own statements (unprepared and prepared),
# a one-statement floor and its own responses served from memory (HTTP
# alone). About 40 minutes. Writes docs/benchmarks.md.
#
# BACKENDS=postgres,mysql measures MySQL or MariaDB too, beside PostgreSQL
# at each size (the server of CCFACADE_BENCH_MYSQL_DSN, else
# CCFACADE_TEST_MYSQL_DSN, else root at 127.0.0.1:3306; its user creates
# a database for each size): twice as long, and the first run loads it.
# PATIENTS=100000 measures one size only.
BACKENDS ?= postgres
PATIENTS ?= 100000,1000000
bench: build
	$(GO) run ./test/bench -backends $(BACKENDS) -patients $(PATIENTS) -out docs/benchmarks.md

# Peak memory of the facade's binary under 64 clients of the heaviest
# requests, on the database make bench loads. Writes its section of
# docs/benchmarks.md.
bench-memory: build
	$(GO) run ./test/bench/memory -out docs/benchmarks.md

fuzz:
	$(GO) test ./fhir -run '^$$' -fuzz FuzzParseDateValue -fuzztime 30s
	$(GO) test ./mapping -run '^$$' -fuzz FuzzLoad -fuzztime 30s
	$(GO) test ./server -run '^$$' -fuzz FuzzRequests -fuzztime 60s

lint-demo: build
	./$(BIN) lint

clean:
	rm -rf bin
