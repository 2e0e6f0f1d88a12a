# rundbrief — the two commands a newcomer needs are `make demo` and
# `make test`. Both start PostgreSQL and Redis if they are not running.

GO       ?= go
# go.mod names the toolchain (Go 1.27.3, with the security fixes that
# govulncheck asks for); with auto, an older Go fetches it through the
# module proxy once, and a newer one is used as it is.
export GOTOOLCHAIN ?= auto
BIN      := bin/rundbrief
FUZZTIME ?= 20s

BENCH_N ?= 10000,100000

.PHONY: all build demo test services bench fuzz vet vulncheck clean check-go

all: build

check-go:
	@command -v $(GO) >/dev/null || { echo "Go fehlt: Go 1.26 oder neuer installieren (https://go.dev/dl/)"; exit 1; }

build: check-go
	$(GO) build -o $(BIN) ./cmd/rundbrief

## demo: import the demo contacts and send their opt-in mails (outbox or Mailpit)
demo: build
	scripts/demo.sh

## test: run every test with the race detector against real PostgreSQL, Redis and SMTP
test: check-go
	@mode=$$(scripts/services.sh) && \
	if [ "$$mode" = docker ] && [ -z "$$RUNDBRIEF_TEST_DATABASE_URL" ]; then \
		export RUNDBRIEF_TEST_DATABASE_URL="postgres://rundbrief:$${POSTGRES_PASSWORD:-rundbrief}@127.0.0.1:5432/postgres?sslmode=disable"; \
	fi && \
	$(GO) test -race -count=1 ./...

## services: start PostgreSQL and Redis if they are not running
services:
	@scripts/services.sh >/dev/null

## bench: the sending engine end to end (rundbrief-bench: 10,000 and 100,000
## recipients, a table and JSON), then the Go benchmarks: import, campaign,
## the import's peak memory at the size cap, rendering, and the web pages
## under load
bench: build services
	$(GO) run ./cmd/rundbrief-bench -n $(BENCH_N) -json bench.json
	$(GO) test -run '^$$' -bench 'Import100k|Campaign10k' -benchtime 3x ./cmd/rundbrief
	$(GO) test -run '^$$' -bench ImportMemory -benchtime 1x -timeout 30m ./cmd/rundbrief
	$(GO) test -run '^$$' -bench Deliver10k -benchtime 1x ./worker
	$(GO) test -run '^$$' -bench . ./templates
	$(GO) test -run '^$$' -bench Pages -benchtime 5s ./web
	$(GO) test -run '^$$' -bench DKIM ./mailer

## fuzz: each fuzz target for FUZZTIME (default 20s)
fuzz: check-go
	$(GO) test -run '^$$' -fuzz '^FuzzNormalizeEmail$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./subscribers
	$(GO) test -run '^$$' -fuzz '^FuzzParseImport$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./subscribers
	$(GO) test -run '^$$' -fuzz '^FuzzVerifyToken$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./subscribers
	$(GO) test -run '^$$' -fuzz '^FuzzEmailKeyPlain$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./subscribers
	$(GO) test -run '^$$' -fuzz '^FuzzHeaderValues$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./mailer
	$(GO) test -run '^$$' -fuzz '^FuzzBulkValues$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./mailer
	$(GO) test -run '^$$' -fuzz '^FuzzParseYAML$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./events
	$(GO) test -run '^$$' -fuzz '^FuzzReadAnswers$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./events
	$(GO) test -run '^$$' -fuzz '^FuzzRead$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./bounces
	$(GO) test -run '^$$' -fuzz '^FuzzMarkdownMail$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./templates
	$(GO) test -run '^$$' -fuzz '^FuzzKeptReply$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./maillog

## vulncheck: govulncheck against the Go vulnerability database (from the
## module proxy: golang.org/x/vulndb)
vulncheck: check-go
	GO=$(GO) scripts/vulncheck.sh

vet: check-go
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || { echo "gofmt:"; gofmt -l .; exit 1; }

clean:
	rm -rf bin outbox
