# Đối Thoại — the two commands that matter are `make run` and `make test`.
# The toolchain with the standard library's security fixes (go1.26.8 has 13
# vulnerabilities our code calls, in net/http, crypto/tls, crypto/x509,
# html/template and net/textproto); the go command fetches it once from the
# module proxy. Override with GOTOOLCHAIN=local to use the installed one.
export GOTOOLCHAIN ?= go1.26.11
GO       ?= go
BIN      := bin/doithoai
PKGS     := ./...

FUZZTIME       ?= 60s
FUZZTIME_SHORT ?= 2s

.PHONY: run test build vet lint bench bench-forum fmt clean fuzz vulncheck

build:
	$(GO) build -o $(BIN) ./cmd/doithoai

## run: the whole suite with demo data on a throwaway local PostgreSQL under ./.data
run: build
	@./scripts/install-deps.sh run
	$(GO) run ./cmd/devstack -bin $(BIN)

## test: every test, against real PostgreSQL and Redis that the tests start themselves
## (the fuzz seed corpora included), then a few seconds of fuzzing per target, then
## govulncheck (fails when our code calls a known-vulnerable function)
test:
	@./scripts/install-deps.sh test
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 20m $(PKGS)
	@FUZZTIME=$(FUZZTIME_SHORT) QUIET=1 GO=$(GO) ./scripts/fuzz.sh
	@GO=$(GO) ./scripts/govulncheck.sh

## fuzz: every fuzz target for FUZZTIME (60s) each, one after another
fuzz:
	@./scripts/install-deps.sh test
	@FUZZTIME=$(FUZZTIME) GO=$(GO) ./scripts/fuzz.sh

## vulncheck: govulncheck against a database built from the Go module proxy
## (fails when our code calls a vulnerable function)
vulncheck:
	@GO=$(GO) ./scripts/govulncheck.sh

vet:
	$(GO) vet $(PKGS)

fmt:
	gofmt -l -w .

## lint: gofmt, vet and staticcheck
lint:
	@test -z "$$(gofmt -l .)" || (gofmt -l . && exit 1)
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@latest $(PKGS)

## bench: the forum, queue and summary benchmarks of BENCHMARKS.md (bounded; loopback only).
## Live chat and hotline loads have their own commands there (cmd/loadws, cmd/sipload).
bench: build
	@./scripts/install-deps.sh bench
	$(GO) test -run '^$$' -bench . -benchtime 2s ./...
	$(GO) run ./cmd/benchforum
	$(GO) run ./cmd/benchfeedback -n 1000000 -runs 5

clean:
	rm -rf bin
