# touchprobe: `make demo` to see it work, `make test` to check it.

GO       ?= go
PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR   ?= $(PREFIX)/bin
UNITDIR  ?= $(PREFIX)/lib/systemd/system
SHAREDIR ?= $(PREFIX)/share/touchprobe
PROMTOOL        ?= promtool
SYSTEMD_ANALYZE ?= systemd-analyze
# The unit's exposure score from `systemd-analyze security --offline=true`,
# times ten: 2.8 with systemd 252. It is what Chromium's sandbox leaves
# (user namespaces, JIT memory, its system calls); raising it needs a reason.
SYSTEMD_EXPOSURE_MAX ?= 28
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -s -w \
	-X github.com/touchprobe/touchprobe/internal/version.Version=$(VERSION) \
	-X github.com/touchprobe/touchprobe/internal/version.Revision=$(REVISION)
# Tests drive a real Chromium and a demo shop on loopback; allow for a
# loaded machine.
TEST_TIMEOUT ?= 20m

.PHONY: all build test unit lint fmt demo chromium soak bench ops-tools clean install check-ops check-rules check-systemd check-install image

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o touchprobe ./cmd/touchprobe

chromium:
	@./scripts/ensure-chromium >/dev/null

ops-tools:
	@./scripts/ensure-ops-tools

lint: fmt
	$(GO) vet ./...

fmt:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "not gofmt-formatted:"; echo "$$unformatted"; exit 1; fi

# The ops checks and the two groups of Go tests (see scripts/run-tests) run
# side by side: most of their time is spent waiting on Chromium, Prometheus
# and timeouts, not on the CPU.
# go vet runs inside go test (-vet=all in scripts/run-tests): a separate
# go vet ./... before the tests would compile every package once more.
test: chromium ops-tools fmt
	@$(MAKE) -s check-ops & ops=$$!; \
	GO=$(GO) ./scripts/run-tests -timeout $(TEST_TIMEOUT); rc=$$?; \
	wait $$ops || { echo "FAIL: make check-ops"; rc=1; }; \
	exit $$rc

# The ops files, checked by the tools that will read them.
check-ops: ops-tools check-rules check-systemd check-install

check-rules:
	$(PROMTOOL) check rules dashboards/touchprobe.rules.yml dashboards/touchprobe.slo.rules.yml dashboards/touchprobe.locations.rules.yml
	$(PROMTOOL) test rules dashboards/tests/*.yml
	$(PROMTOOL) check config --syntax-only examples/prometheus.yml

# systemd-analyze verify exits 0 on unknown keys and settings, so any output
# at all is a failure.
check-systemd: build
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	sed 's|/usr/local/bin/touchprobe|$(CURDIR)/touchprobe|' deploy/systemd/touchprobe.service >"$$tmp/touchprobe.service" && \
	out=$$($(SYSTEMD_ANALYZE) verify "$$tmp/touchprobe.service" 2>&1); rc=$$?; \
	if [ $$rc -ne 0 ] || [ -n "$$out" ]; then echo "systemd-analyze verify deploy/systemd/touchprobe.service:"; echo "$$out"; exit 1; fi; \
	echo "systemd-analyze verify: no warnings"; \
	sec=$$($(SYSTEMD_ANALYZE) security --offline=true --threshold=$(SYSTEMD_EXPOSURE_MAX) "$$tmp/touchprobe.service" 2>&1) || \
		{ echo "$$sec"; echo "exposure above $(SYSTEMD_EXPOSURE_MAX)/10 (SYSTEMD_EXPOSURE_MAX)"; exit 1; }; \
	echo "$$sec" | tail -n 1

# Installs into a scratch DESTDIR twice: everything lands where it should,
# the installed configuration loads with the installed environment file, and
# a second install keeps an edited configuration.
check-install: build
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(MAKE) -s install DESTDIR="$$tmp" PREFIX=/opt/tp >/dev/null && \
	for f in /opt/tp/bin/touchprobe /opt/tp/lib/systemd/system/touchprobe.service \
		/opt/tp/share/touchprobe/touchprobe.rules.yml /opt/tp/share/touchprobe/touchprobe.slo.rules.yml \
		/opt/tp/share/touchprobe/touchprobe.locations.rules.yml /opt/tp/share/touchprobe/touchprobe.json \
		/etc/touchprobe/touchprobe.toml /etc/default/touchprobe; do \
		[ -e "$$tmp$$f" ] || { echo "make install: $$f missing"; exit 1; }; done && \
	grep -q '^ExecStart=/opt/tp/bin/touchprobe run' "$$tmp/opt/tp/lib/systemd/system/touchprobe.service" || \
		{ echo "make install: ExecStart does not use PREFIX"; exit 1; }; \
	( set -a && . "$$tmp/etc/default/touchprobe" && set +a && \
	  "$$tmp/opt/tp/bin/touchprobe" check --config "$$tmp/etc/touchprobe/touchprobe.toml" >/dev/null ) || \
		{ echo "make install: the installed configuration does not load with the installed environment file"; exit 1; }; \
	echo '# edited' >>"$$tmp/etc/touchprobe/touchprobe.toml" && \
	$(MAKE) -s install DESTDIR="$$tmp" PREFIX=/opt/tp >/dev/null && \
	grep -q '^# edited' "$$tmp/etc/touchprobe/touchprobe.toml" || \
		{ echo "make install overwrote an existing configuration"; exit 1; }; \
	echo "make install: OK"

# Installs the binary, the systemd unit, the rules and dashboard, and an
# example configuration and environment file unless they exist. Into / as
# root it also creates the touchprobe system user; with DESTDIR (packaging)
# that is left to the package's scripts.
install: build
	install -D -m 0755 touchprobe $(DESTDIR)$(BINDIR)/touchprobe
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/local/bin/touchprobe|$(BINDIR)/touchprobe|' deploy/systemd/touchprobe.service >$(DESTDIR)$(UNITDIR)/touchprobe.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/touchprobe.service
	install -D -m 0644 dashboards/touchprobe.rules.yml $(DESTDIR)$(SHAREDIR)/touchprobe.rules.yml
	install -D -m 0644 dashboards/touchprobe.slo.rules.yml $(DESTDIR)$(SHAREDIR)/touchprobe.slo.rules.yml
	install -D -m 0644 dashboards/touchprobe.locations.rules.yml $(DESTDIR)$(SHAREDIR)/touchprobe.locations.rules.yml
	install -D -m 0644 dashboards/touchprobe.json $(DESTDIR)$(SHAREDIR)/touchprobe.json
	install -D -m 0644 examples/touchprobe.toml $(DESTDIR)$(SHAREDIR)/examples/touchprobe.toml
	install -D -m 0644 examples/prometheus.yml $(DESTDIR)$(SHAREDIR)/examples/prometheus.yml
	install -D -m 0644 examples/alertmanager.yml $(DESTDIR)$(SHAREDIR)/examples/alertmanager.yml
	install -D -m 0755 deploy/create-user $(DESTDIR)$(SHAREDIR)/create-user
	@if [ -e $(DESTDIR)/etc/touchprobe/touchprobe.toml ]; then \
		echo "keeping existing /etc/touchprobe/touchprobe.toml"; \
	else install -D -m 0644 examples/touchprobe.toml $(DESTDIR)/etc/touchprobe/touchprobe.toml; fi
	@if [ -e $(DESTDIR)/etc/default/touchprobe ]; then \
		echo "keeping existing /etc/default/touchprobe"; \
	else install -D -m 0600 deploy/default/touchprobe $(DESTDIR)/etc/default/touchprobe; fi
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then ./deploy/create-user; \
	elif [ -z "$(DESTDIR)" ]; then echo "not root: create the service user with deploy/create-user as root"; fi

demo: build chromium
	./touchprobe demo

# The soak behind README's reliability figures: short journeys against the
# demo shop back to back, resources sampled every minute.
SOAK_DURATION ?= 30m
SOAK_JOURNEYS ?= 2
soak: chromium
	$(GO) run ./bench/soak -duration $(SOAK_DURATION) -journeys $(SOAK_JOURNEYS) -csv soak.csv

# touchprobe against k6 browser, Playwright, blackbox_exporter and a minimal
# chromedp program on the demo shop's journey; figures into BENCHMARKS.md.
# 20 rounds, so that the page timings' verdicts can tell (a single round's
# DOMContentLoaded scatters by a factor of two): about 30 minutes on 2 cores;
# BENCH_RUNS=3 BENCH_SCALE=20s for a quicker look. Peers are installed into
# .cache/bench on first use.
BENCH_RUNS  ?= 20
BENCH_SCALE ?= 60s
bench: chromium
	./scripts/bench-peers .cache/bench
	$(GO) run ./bench/compare -cache .cache/bench -runs $(BENCH_RUNS) -scale.duration $(BENCH_SCALE) \
		-write BENCHMARKS.md -command "make bench BENCH_RUNS=$(BENCH_RUNS) BENCH_SCALE=$(BENCH_SCALE)"

# The container image of deploy/kubernetes (Containerfile), with podman
# or, without it, docker. Push it with `$(CONTAINER) push $(IMAGE)`.
IMAGE     ?= ghcr.io/touchprobe/touchprobe:$(VERSION)
CONTAINER ?= $(shell command -v podman >/dev/null 2>&1 && echo podman || echo docker)
image:
	$(CONTAINER) build -f Containerfile --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) -t $(IMAGE) .

clean:
	rm -f touchprobe
