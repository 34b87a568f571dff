# ccfacade — make run serves the built-in demo (PORT=… to choose the port,
# 8080 by default); make test runs every test.
GO      ?= go
BIN     := bin/ccfacade
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/ccfacade/ccfacade/internal/cli.Version=$(VERSION)
# The race detector needs cgo (a C compiler); without one, tests run without it.
RACE    := $(if $(shell command -v gcc 2>/dev/null),-race,)

.PHONY: build run run-secure test golden bench bench-memory fuzz lint-demo clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/ccfacade

# make run PORT=9000 serves on another port (also make run-secure).
run: build
	./$(BIN) serve -listen 127.0.0.1:$(or $(PORT),8080)

# The demo over HTTPS with JWT on (certificate and keys made on first use);
# tokens: bin/ccfacade token -patient 3
run-secure: build
	./$(BIN) serve -secure-demo -listen 127.0.0.1:$(or $(PORT),8443)

# Under the race detector the OMOP set on SQLite skips itself (the SQLite
# driver is some fifteen times slower there); the second step runs the OMOP
# tests again without it.
test:
	$(GO) vet ./...
	$(GO) test $(RACE) -count=1 -timeout 30m ./...
	$(if $(RACE),$(GO) test -count=1 -timeout 30m -run 'OMOP/sqlite-omop' ./test,)

# Rewrite the golden files from the current output (review the diff!).
golden:
	$(GO) test ./... -run Golden -update

# The benchmark: every interaction, PostgreSQL with 100,000 and 1,000,000
# patients, the facade next to its own statements (unprepared and prepared),
# a one-statement floor and its own responses served from memory (HTTP
# alone). About 40 minutes. Writes docs/benchmarks.md.
bench: build
	$(GO) run ./test/bench -out docs/benchmarks.md

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
