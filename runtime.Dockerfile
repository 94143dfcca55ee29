# The runtime companion image, docker.io/org/safe-frontend-runtime:1: the
# init (/sbin/tini, Debian's static tini) and the health probe
# (/sbin/safe-probe) that safe-frontend copies into every image it builds,
# and the static site server (/sbin/safe-static) and its build-time
# precompressor (/sbin/safe-precompress), for every platform of
# hack/platforms. The frontend binary pins this image's
# index digest (see RUNTIME_DIGEST in the root Dockerfile).
#
# Like the root Dockerfile, it is built by BuildKit's built-in Dockerfile
# frontend (no `# syntax=` line). The context is staged by
# hack/runtime-stage.sh (pinned .debs, checked by sha256); hack/stack builds
# and pushes it:
#   hack/runtime-stage.sh _output/runtime
#   buildctl build --frontend dockerfile.v0 --local context=_output/runtime \
#     --local dockerfile=. --opt filename=runtime.Dockerfile \
#     --opt platform=$(grep -v '^#' hack/platforms | paste -sd, -) --opt build-arg:SOURCE_DATE_EPOCH=0 \
#     --output type=image,name=127.0.0.1:5000/org/safe-frontend-runtime:1,push=true,rewrite-timestamp=true
# Every file is root:root with times at the epoch, so the same sources give
# the same digest.

ARG GO_IMAGE=golang:1.26

# The probe is cross-compiled on the build platform: no emulation needed.
FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS probe
WORKDIR /src
COPY src/ ./
ARG TARGETOS TARGETARCH TARGETVARIANT
RUN --mount=type=cache,id=safe-frontend-gobuild,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH GOARM=${TARGETVARIANT#v} GOFLAGS=-mod=vendor \
    go build -trimpath -buildvcs=false -ldflags="-s -w -buildid=" -o /out/ ./cmd/safe-probe ./cmd/safe-static ./cmd/safe-precompress

FROM scratch AS tree
ARG TARGETARCH
COPY --chmod=0755 tini/${TARGETARCH}/tini-static /sbin/tini
COPY --from=probe --chmod=0755 /out/safe-probe /out/safe-static /out/safe-precompress /sbin/
COPY --chmod=0644 tini/${TARGETARCH}/copyright /usr/share/doc/tini/copyright
COPY --chmod=0644 tini/${TARGETARCH}/status /var/lib/dpkg/status.d/tini
COPY --chmod=0644 src/LICENSE /usr/share/doc/safe-probe/LICENSE
COPY --chmod=0644 src/vendor/github.com/andybalholm/brotli/LICENSE /usr/share/doc/safe-precompress/brotli-LICENSE

# One layer: the frontend takes two files from it, nothing stacks on it.
FROM scratch AS runtime
COPY --from=tree / /
LABEL org.opencontainers.image.title="safe-frontend-runtime" \
      org.opencontainers.image.description="Init (tini-static from Debian) and health probe (safe-probe) that safe-frontend copies into the images it builds" \
      org.opencontainers.image.version="1" \
      org.opencontainers.image.source="https://github.com/org/safe-frontend"
