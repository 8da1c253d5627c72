# Portico: an Apache httpd 2.4 config-compatible reverse proxy.
GO        ?= go
BIN       := bin/portico
FUZZTIME  ?= 10m
BENCHTIME ?= 1s
DEMO_BACKEND ?= 127.0.0.1:8081

.PHONY: all build run test vet fuzz bench bench-compare compat clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/portico

# run builds Portico and the demo backend, starts the backend (HTTP and
# WebSocket echo) on $(DEMO_BACKEND) and Portico in the foreground on
# testdata/demo/portico.conf (127.0.0.1:8080), and stops both on Ctrl-C.
run: build
	$(GO) build -o bin/portico-demo-backend ./cmd/portico-demo-backend
	PORTICO_DEMO_BACKEND=$(DEMO_BACKEND) ./$(BIN) -t -f testdata/demo/portico.conf -d .
	@set -e; \
	./bin/portico-demo-backend -addr $(DEMO_BACKEND) & be=$$!; \
	trap 'kill $$be $$po 2>/dev/null; wait $$be $$po 2>/dev/null; exit 0' INT TERM; \
	PORTICO_DEMO_BACKEND=$(DEMO_BACKEND) ./$(BIN) -DFOREGROUND -f testdata/demo/portico.conf -d . & po=$$!; \
	sleep 1; \
	echo; \
	echo "Portico listens on http://127.0.0.1:8080 and proxies to the demo backend on $(DEMO_BACKEND). Try:"; \
	echo "  curl -i http://127.0.0.1:8080/api/hello"; \
	echo "  curl -i 'http://127.0.0.1:8080/api/_/status/503'"; \
	echo "  curl -i http://127.0.0.1:8080/missing"; \
	echo "  curl -i -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \\"; \
	echo "       -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' --max-time 2 http://127.0.0.1:8080/ws/echo"; \
	echo "Ctrl-C stops both."; \
	wait $$po

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

# bench runs every Go benchmark (parser, loading, forwarding, tunnels);
# bench-compare is the side-by-side run against other proxies.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...

# bench-compare measures Portico next to the backend reached directly,
# Apache httpd (event MPM), nginx and HAProxy, each a child process on
# 127.0.0.1 with the configurations in bench/, and writes the table to
# bench/results.md (method: bench/README.md). It installs apache2, nginx
# and haproxy with apt-get when missing; one that still cannot run is
# skipped with a line saying why. BENCH_FLAGS passes portico-bench flags,
# e.g. BENCH_FLAGS='-duration 5s -idle 2000'.
BENCH_FLAGS ?=
bench-compare: build
	$(GO) build -o bin/portico-bench ./cmd/portico-bench
	@for p in apache2 nginx haproxy; do \
	  test -x /usr/sbin/$$p && continue; \
	  echo "bench-compare: installing $$p"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$p; } >/dev/null \
	    || echo "bench-compare: $$p could not be installed: the comparison skips it"; \
	done
	./bin/portico-bench $(BENCH_FLAGS)

# compat re-records every golden observation from a live Debian apache2
# (installed if missing) and fails if any differs from the committed one.
compat:
	@command -v apache2 >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq apache2; }
	$(GO) test -count=1 ./cmd/portico -run 'TestConfigtest' -update
	git diff --exit-code -- testdata/configtest/golden
	$(GO) test -count=1 -parallel 8 ./cmd/portico -run 'TestCompat' -update
	git diff --exit-code -- testdata/compat/golden
	@test -z "$$(git status --porcelain -- testdata/compat/golden)" || { git status --short -- testdata/compat/golden; echo "compat goldens not committed"; exit 1; }

clean:
	rm -rf bin
