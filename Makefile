SHELL := /bin/bash

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

# ---------------------------------------------------------------------------
# Local BuildKit stack (hack/stack): loopback registry mirroring docker.io and
# gcr.io, buildkitd, the buildx builder "safe-frontend", stand-in base images
# and the frontend image. Each target installs or builds what it needs, so it
# works on a fresh machine; all of them need root.
# ---------------------------------------------------------------------------

stack-up: ## start registry + buildkitd, push stand-ins and the frontend image
	hack/stack up

stack-down: ## stop what stack-up started (state and caches are kept)
	hack/stack down

frontend-image: ## rebuild and push 127.0.0.1:5000/org/safe-frontend:1
	hack/stack frontend-image

demo: ## build the examples (go-hello, node-hello, python-hello, rust-hello, java-hello, static-hello) through the frontend and run them hardened
	hack/demo.sh

kube: ## build kube-apiserver and etcd for the manifests tests (once; reused after)
	hack/kube/build

.PHONY: help stack-up stack-down frontend-image demo kube

# ---------------------------------------------------------------------------
# Checks, tests, fuzzing, benchmark.
# ---------------------------------------------------------------------------

GO ?= go
STATICCHECK_VERSION ?= v0.8.2
STATICCHECK = $(CURDIR)/_output/bin/staticcheck
FUZZTIME ?= 5s
FUZZ_TARGETS = ./spec:FuzzParse ./policy:FuzzLint ./llbgen:FuzzConvert ./lock:FuzzParse ./sbom:FuzzDpkgStatus ./lang/node:FuzzNodeManifests ./lang/python:FuzzRequirements ./lang/rust:FuzzPlanCargo ./sbom:FuzzPNPMLock ./sbom:FuzzYarnLock ./lang/rust:FuzzRustToolchain ./lang/java:FuzzPlanJava ./lang:FuzzProjectFile ./lang/node:FuzzNodeProjectFiles ./lang/python:FuzzPythonProjectFiles ./lang/rust:FuzzRustProjectFiles ./lang/java:FuzzJavaProjectFiles ./frontend:FuzzToolMessage ./lang/all:FuzzDetect ./staticsite:FuzzRequestPath ./internal/probe:FuzzAnswer
ACTIONLINT_VERSION ?= v1.7.12
# The version is in the stamp's name, so bumping it rebuilds.
ACTIONLINT_STAMP = $(CURDIR)/_output/bin/.actionlint-$(ACTIONLINT_VERSION)
ACTIONLINT = $(CURDIR)/_output/bin/actionlint
COSIGN = $(CURDIR)/_output/bin/cosign

$(STATICCHECK):
	GOBIN=$(CURDIR)/_output/bin $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(ACTIONLINT_STAMP):
	GOBIN=$(CURDIR)/_output/bin $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)
	touch $@

# cosign is pinned in its own module (hack/cosign) so its dependencies stay
# out of ours. go build is a no-op when the binary is current.
cosign: ## build cosign (version pinned in hack/cosign/go.mod) into _output/bin
	cd hack/cosign && $(GO) build -trimpath -o $(COSIGN) github.com/sigstore/cosign/v2/cmd/cosign

lint: $(STATICCHECK) $(ACTIONLINT_STAMP) ## gofmt, go vet, staticcheck, actionlint on examples/ci
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './_output/*')); \
		if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...
	$(ACTIONLINT) -no-color examples/ci/github-actions.yml .github/workflows/release.yml

# The hardened runner's tests put Debian's static tini in front of their probe.
TINI_STATIC = /usr/bin/tini-static
$(TINI_STATIC):
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tini || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tini; }

unit: $(TINI_STATIC) ## unit tests (no daemon needed; installs Debian's tini if missing)
	$(GO) test -count=1 $$($(GO) list ./... | grep -v /integration)

# Go's fuzzing engine sometimes ends a run with "context deadline exceeded"
# when -fuzztime runs out while a worker is busy, with no failing input: that
# run alone is tried again once. Any other failure stops at once.
fuzz-short: ## each fuzz target briefly (part of make test)
	@mkdir -p _output/tmp; for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; log=_output/tmp/fuzz-$$fn.log; \
		echo "fuzz $$fn in $$pkg for $(FUZZTIME)"; \
		if ! $(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg >$$log 2>&1; then cat $$log; \
			grep -q '^    context deadline exceeded$$' $$log && ! grep -q 'Failing input written' $$log || exit 1; \
			echo "fuzz $$fn: the engine's deadline, no failing input; once more"; \
			$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		else cat $$log; fi; done

fuzz: ## each fuzz target for longer (FUZZTIME=5m by default here)
	$(MAKE) fuzz-short FUZZTIME=$(or $(FUZZ),5m)

# TMPDIR beside the stack's state: image tarballs and fresh daemons' roots run
# to gigabytes, more than a small tmpfs /tmp holds (TestMain sets it too).
integration: cosign $(QEMU_USER) ## integration tests on a real buildkitd + runc + registry (starts the stack)
	mkdir -p _output/tmp
	TMPDIR=$(CURDIR)/_output/tmp $(GO) test -count=1 -timeout 60m -v ./integration/

test: disk-check lint unit fuzz-short integration ## everything CI runs

disk-check: ## fail at once when the disk lacks room for the stack and the tests
	hack/stack disk-check

# The release tests run the arm64 and riscv64 frontend binaries under the
# emulator directly (no binfmt registration).
QEMU_USER = /usr/bin/qemu-riscv64-static
$(QEMU_USER):
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-user-static || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-user-static; }

# make release VERSION=1.4.2 REGISTRY=docker.io [RELEASE_FLAGS="-key cosign.key"]:
# from a clean tree tagged v$(VERSION), through $$BUILDKIT_HOST (hack/release).
release: cosign ## build, push, attest and sign a release (VERSION=, REGISTRY=, RELEASE_FLAGS=)
	@test -n "$(VERSION)" -a -n "$(REGISTRY)" || { echo "usage: make release VERSION=1.4.2 REGISTRY=docker.io [RELEASE_FLAGS=...]"; exit 2; }
	$(GO) build -o _output/bin/ github.com/moby/buildkit/cmd/buildctl
	PATH=$(CURDIR)/_output/bin:$$PATH $(GO) run ./hack/release -version $(VERSION) -registry $(REGISTRY) $(RELEASE_FLAGS)

# The benchmark runs on a buildkitd of its own (started and stopped by
# bench/), so pruning before cold builds leaves the stack's cache alone;
# hack/stack up provides the registry, the stand-ins and _output/bin/buildkitd.
bench: ## each example via the frontend vs a hand-written Dockerfile, medians of 5 runs, merged into docs/benchmark.md (RUNS=, APPS=, SCENARIOS=cold,no-change,edit,ci-edit,size)
	hack/stack up
	. <(hack/stack env) && $(GO) run ./bench -runs $(or $(RUNS),5) $(if $(APPS),-apps $(APPS)) $(if $(SCENARIOS),-scenarios $(SCENARIOS)) -out docs/benchmark.md

.PHONY: lint unit fuzz-short fuzz integration test disk-check bench cosign release
