# touchprobe: `make demo` to see it work, `make test` to check it.

GO       ?= go
PREFIX   ?= /usr/local
DESTDIR  ?=
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -s -w \
	-X github.com/touchprobe/touchprobe/internal/version.Version=$(VERSION) \
	-X github.com/touchprobe/touchprobe/internal/version.Revision=$(REVISION)
# Tests drive a real Chromium and a demo shop on loopback; allow for a
# loaded machine.
TEST_TIMEOUT ?= 20m

.PHONY: all build test unit lint demo chromium soak clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o touchprobe ./cmd/touchprobe

chromium:
	@./scripts/ensure-chromium >/dev/null

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "not gofmt-formatted:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

test: chromium lint
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...

demo: build chromium
	./touchprobe demo

# The soak behind README's reliability figures: short journeys against the
# demo shop back to back, resources sampled every minute.
SOAK_DURATION ?= 30m
SOAK_JOURNEYS ?= 2
soak: chromium
	$(GO) run ./bench/soak -duration $(SOAK_DURATION) -journeys $(SOAK_JOURNEYS) -csv soak.csv

clean:
	rm -f touchprobe
