# pulllab
#
#   make build   bin/pulllab, stamped with the version and commit from git
#   make test    go vet, a gofmt check, a type check of ./cmd/pulllab for all
#                six release platforms, then every unit test (fuzz seed
#                corpora included); make cross builds one architecture of each
#                release OS, make cross-all all six release platforms
#   make lint    gofmt, go vet, shellcheck on hack/ and .ci/run, and
#                staticcheck, each of the last two when it is installed
#   make e2e     the end-to-end tests on a real single-node Kubernetes
#                (hack/e2e/e2e.sh; Linux, as root)
#   make lab     build, then bin/pulllab up && bin/pulllab verify
#   make clean   remove what the build left

GO ?= go
MODULE := github.com/pulllab/pulllab

# A tag (v0.2.0, or v0.2.0-3-gabc1234-dirty after it) is the version. Without
# a tag `git describe --always` gives only a commit, so the version is then
# v0.1.0-dev and the commit says which one.
GIT_DESCRIBE := $(shell git describe --tags --always --dirty 2>/dev/null)
VERSION ?= $(if $(filter v%,$(GIT_DESCRIBE)),$(GIT_DESCRIBE),v0.1.0-dev)
COMMIT ?= $(shell git describe --always --dirty --abbrev=7 --exclude='*' 2>/dev/null)

# -buildvcs=false: the commit is stamped through -X below, and the build then
# works without git (or in a checkout that git refuses to read).
LDFLAGS := -s -w -X $(MODULE)/internal/version.version=$(VERSION) -X $(MODULE)/internal/version.commit=$(COMMIT)
# urfave_cli_no_docs leaves out urfave/cli's man page and Markdown writers
# (and the Markdown library under them, 0.3 MB): only the test that checks
# docs/cli.md uses them.
BUILDTAGS := urfave_cli_no_docs
BUILDFLAGS := -trimpath -buildvcs=false -tags $(BUILDTAGS) -ldflags '$(LDFLAGS)'

EXE := $(if $(filter windows,$(shell $(GO) env GOOS)),.exe,)
PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
# what `make cross` builds: the architectures the host build does not
# cover, one per OS (see cross below)
CROSS_CHECK := linux/arm64 darwin/arm64 windows/amd64

.PHONY: build test vet fmt-check typecheck cross cross-all cross-platforms unit lint e2e lab clean

build:
	CGO_ENABLED=0 $(GO) build $(BUILDFLAGS) -o bin/pulllab$(EXE) ./cmd/pulllab

# The unit tests run last so that go test's summary closes the output.
test: vet fmt-check typecheck unit

vet:
	$(GO) vet ./...

fmt-check:
	@files=$$(gofmt -l .); \
	if [ -n "$$files" ]; then echo "gofmt is needed on these files (run gofmt -w on them):"; echo "$$files"; exit 1; fi; \
	echo "gofmt: ok"

# Every release platform builds, as far as the compiler can tell: a type
# check of ./cmd/pulllab and all it imports, from source, for each of the
# six (hack/typecheck). It catches what breaks one platform only (a wrong
# build constraint, a function or an API missing on one OS or architecture)
# in seconds per platform, where a cross-compilation compiles every
# dependency again for each platform (minutes each on a fresh cache). Only
# a link error escapes it; the host's link is in the unit tests, and
# make cross / cross-all link the others.
typecheck:
	GOFLAGS=-tags=$(BUILDTAGS) $(GO) run ./hack/typecheck $(PLATFORMS) -- ./cmd/pulllab

# Build ./cmd/pulllab once per operating system a release ships, into a
# temporary directory that is removed afterwards; prints each binary's size.
# pulllab has no architecture-specific file or build tag (TestNoArchSpecificCode
# in cmd/pulllab fails if one appears), so one architecture per OS catches a
# platform-specific break at half the cost of all six; `make cross-all`
# builds every release platform.
cross:
	@$(MAKE) --no-print-directory cross-platforms CROSS_PLATFORMS="$(CROSS_CHECK)"

cross-all:
	@$(MAKE) --no-print-directory cross-platforms CROSS_PLATFORMS="$(PLATFORMS)"

cross-platforms:
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	for p in $(CROSS_PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; ext=; [ "$$os" = windows ] && ext=.exe; \
		out="$$tmp/pulllab-$$os-$$arch$$ext"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build $(BUILDFLAGS) -o "$$out" ./cmd/pulllab || exit 1; \
		echo "cross: $$os/$$arch ok ($$(( $$(wc -c < "$$out") / 1048576 )) MiB)"; \
	done

# Fuzz tests run their seed corpora (and testdata/fuzz) as ordinary tests.
unit:
	$(GO) test ./...

# Shell scripts: hack/ and .ci/run, every shellcheck finding (CI runs make lint).
SHELL_SCRIPTS = $(shell find hack -type f -name '*.sh') .ci/run

lint:
	@files=$$(gofmt -l .); \
	if [ -n "$$files" ]; then echo "gofmt is needed on these files (run gofmt -w on them):"; echo "$$files"; exit 1; fi
	$(GO) vet ./...
	@if command -v shellcheck >/dev/null 2>&1; then \
		shellcheck -x $(SHELL_SCRIPTS) && echo "shellcheck: ok"; \
	else echo "shellcheck is not installed (Debian: apt-get install shellcheck); skipped"; fi
	@sc=$$(command -v staticcheck || ls "$$($(GO) env GOPATH)/bin/staticcheck" 2>/dev/null || true); \
	if [ -n "$$sc" ]; then "$$sc" ./...; else echo "staticcheck is not installed; skipped"; fi

e2e:
	bash hack/e2e/e2e.sh

lab: build
	bin/pulllab$(EXE) up && bin/pulllab$(EXE) verify

clean:
	rm -rf bin/
