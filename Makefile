# seedgate: `make demo` runs it against a local stack; `make test` runs every test.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
# One pure-Go build: goolm instead of libolm, modernc SQLite instead of cgo.
export CGO_ENABLED := 0
GOTAGS   := goolm

.PHONY: build deps test fuzz demo bench lint clean release image

# How long each fuzz target runs inside `make test`; raise it for a deeper search.
FUZZTIME ?= 10s

# seedgate, and seedgate-hook: the small program the torrent clients' hooks run (docs/hooks.md).
build:
	$(GO) build -tags $(GOTAGS) -ldflags '$(LDFLAGS)' -o bin/seedgate ./cmd/seedgate
	$(GO) build -tags $(GOTAGS) -ldflags '$(LDFLAGS)' -o bin/seedgate-hook ./cmd/seedgate-hook

# Static binaries for the platforms seedboxes run on, paths trimmed, with their SHA-256 sums.
RELEASE_PLATFORMS := linux/amd64 linux/arm64 linux/arm/7
release:
	rm -rf dist && mkdir -p dist
	for p in $(RELEASE_PLATFORMS); do \
	  os=$${p%%/*}; rest=$${p#*/}; arch=$${rest%%/*}; arm=$${rest#*/}; suffix=$$os-$$arch; \
	  if [ "$$arch" = arm ]; then suffix=$$suffix"v$$arm"; fi; \
	  for cmd in seedgate seedgate-hook; do \
	    GOOS=$$os GOARCH=$$arch GOARM=$$( [ "$$arch" = arm ] && echo $$arm ) \
	      $(GO) build -trimpath -tags $(GOTAGS) -ldflags '$(LDFLAGS)' -o dist/$$cmd-$$suffix ./cmd/$$cmd || exit 1; \
	  done; \
	done
	cd dist && sha256sum seedgate-* > SHA256SUMS

# The container image (FROM scratch), with buildah or IMAGE_BUILDER=docker; IMAGE_UID and
# IMAGE_GID set the user it runs as (default 1337).
image:
	VERSION=$(VERSION) COMMIT=$(COMMIT) ./hack/image.sh

deps:
	./hack/deps.sh

# make lint, then every package's tests, the end-to-end suite against Dendrite included; then the end-to-end
# suite again against Synapse; then the fuzz targets.
test: deps lint
	$(GO) test -tags $(GOTAGS) -count=1 -timeout 30m ./...
	SEEDGATE_HOMESERVER=synapse $(GO) test -tags $(GOTAGS) -count=1 -timeout 30m ./test/e2e
	$(MAKE) --no-print-directory fuzz

# Every fuzz target, each for FUZZTIME; a crasher lands in testdata/fuzz and fails the run.
fuzz:
	GO=$(GO) GOTAGS=$(GOTAGS) FUZZTIME=$(FUZZTIME) ./hack/fuzz.sh

demo: deps
	$(GO) run -tags $(GOTAGS) ./hack/demo $(ARGS)

# End-to-end latency, burst and scale on the real local stack: writes docs/benchmarks.md and
# docs/benchmarks.svg (about 25 minutes on 2 cores, 11 of them the 100,000-torrent table row; ARGS='-scale 1000'
# leaves that row out). ARGS passes flags, e.g. ARGS='-n 20'.
bench: deps
	$(GO) run -tags $(GOTAGS) ./hack/bench $(ARGS)

# gofmt, go vet, staticcheck (pinned in hack/tools/staticcheck) and the commit convention
# (hack/commits.sh). The layer diagram and the package docs are checked by layers_test.go,
# which `go test` runs.
lint: .cache/bin/staticcheck
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: files above need formatting'; exit 1; }
	$(GO) vet -tags $(GOTAGS) ./...
	.cache/bin/staticcheck -tags $(GOTAGS) ./...
	./hack/commits.sh

.cache/bin/staticcheck: hack/tools/staticcheck/go.mod
	mkdir -p .cache/bin
	cd hack/tools/staticcheck && $(GO) build -o ../../../.cache/bin/ honnef.co/go/tools/cmd/staticcheck

clean:
	rm -rf bin
