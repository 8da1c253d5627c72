# Portico: an Apache httpd 2.4 config-compatible reverse proxy.
GO        ?= go
BIN       := bin/portico
FUZZTIME  ?= 10m
BENCHTIME ?= 1s
DEMO_BACKEND ?= 127.0.0.1:8081

.PHONY: all build run test vet fuzz bench compat clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/portico

# run checks the embedded demo configuration and prints its virtual hosts
# and routes (serving it arrives with the request pipeline).
run: build
	PORTICO_DEMO_BACKEND=$(DEMO_BACKEND) ./$(BIN) -S -f testdata/demo/portico.conf -d .
	PORTICO_DEMO_BACKEND=$(DEMO_BACKEND) ./$(BIN) -t -f testdata/demo/portico.conf -d .

test: vet
	$(GO) test -count=1 ./...

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go'))" || { gofmt -l $$(git ls-files -co --exclude-standard '*.go'); echo "gofmt needed"; exit 1; }

# fuzz runs every fuzz target for FUZZTIME each.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...

# compat re-records every golden observation from a live Debian apache2
# (installed if missing) and fails if any differs from the committed one.
compat:
	@command -v apache2 >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq apache2; }
	$(GO) test -count=1 ./cmd/portico -run 'TestConfigtest' -update
	git diff --exit-code -- testdata/configtest/golden

clean:
	rm -rf bin
