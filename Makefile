# Two commands matter on a fresh machine:
#   make run    build and start Tandem on embedded defaults
#   make test   prepare everything the tests need, then run the whole suite
SHELL := /bin/bash
GO ?= go

.PHONY: run build web test check deps

# The web app is built with Vite (Node.js 20 + npm) and embedded in the binary.
web:
	./web/build.sh

build: web
	$(GO) build -o bin/tandem ./cmd/tandem

run: build
	./bin/tandem serve

# deps makes sure every service and tool the tests talk to is present.
deps:
	./scripts/test-deps.sh

check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

test: deps check web
	$(GO) test -race -count=1 -timeout 14m ./...
