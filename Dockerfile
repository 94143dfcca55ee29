# The safe-frontend gateway image. BuildKit runs it for any file whose first
# line is `# syntax=org/safe-frontend:1`.
#
# Line 1 deliberately carries no `# syntax=` directive: BuildKit's built-in
# Dockerfile frontend builds this file, so no docker/dockerfile image has to
# be pulled from a registry.
#
# Build (hack/stack frontend-image does this and pushes the result):
#   buildctl build --frontend dockerfile.v0 --local context=. --local dockerfile=. \
#     --secret id=ca,src="$SSL_CERT_FILE" --opt build-arg:RUNTIME_DIGEST=sha256:... \
#     --output type=image,name=127.0.0.1:5000/org/safe-frontend:1,push=true,registry.insecure=true

ARG GO_IMAGE=golang:1.26

# The frontend is pure Go: it is cross-compiled on the build platform for
# every target platform, with no emulation (hack/release builds six).
FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-mod=readonly
# Dependencies first: this layer and the module cache survive source edits.
# The optional "ca" secret lets downloads through a TLS-intercepting proxy
# without writing its CA into any layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,id=safe-frontend-gomod,target=/go/pkg/mod \
    --mount=type=secret,id=ca,target=/run/secrets/ca.pem,required=false \
    sh -c 'if [ -s /run/secrets/ca.pem ]; then export SSL_CERT_FILE=/run/secrets/ca.pem; fi; exec go mod download'
COPY . .
# The index digest of docker.io/org/safe-frontend-runtime (runtime.Dockerfile)
# this frontend pins for the init and probe of every image; hack/stack and
# hack/release pass the digest they just pushed. Empty: the frontend resolves
# the tag at build time.
ARG RUNTIME_DIGEST=
# The release's version and commit, printed by --version and in the build
# output (internal/version).
ARG VERSION=dev
ARG VCS_REVISION=
ARG TARGETOS TARGETARCH TARGETVARIANT
# grpcnotrace: gRPC's request tracing (golang.org/x/net/trace) pulls in
# html/template, whose reflection keeps the linker from dropping unused
# methods anywhere in the binary; without it the binary is a quarter smaller.
RUN --mount=type=cache,id=safe-frontend-gomod,target=/go/pkg/mod \
    --mount=type=cache,id=safe-frontend-gobuild,target=/root/.cache/go-build \
    --mount=type=secret,id=ca,target=/run/secrets/ca.pem,required=false \
    sh -c 'case "$RUNTIME_DIGEST" in "" | sha256:????????????????????????????????????????????????????????????????) ;; \
        *) echo "RUNTIME_DIGEST=$RUNTIME_DIGEST is not sha256:<64 hex>" >&2; exit 1 ;; esac; \
      if [ -s /run/secrets/ca.pem ]; then export SSL_CERT_FILE=/run/secrets/ca.pem; fi; \
      export GOOS=$TARGETOS GOARCH=$TARGETARCH; \
      if [ "$TARGETARCH" = arm ]; then export GOARM=${TARGETVARIANT#v}; fi; \
      exec go build -trimpath -buildvcs=false -tags grpcnotrace \
        -ldflags="-s -w -buildid= -X github.com/org/safe-frontend/frontend.runtimeDigest=$RUNTIME_DIGEST -X github.com/org/safe-frontend/internal/version.Version=$VERSION -X github.com/org/safe-frontend/internal/version.Revision=$VCS_REVISION" \
        -o /out/safe-frontend ./cmd/safe-frontend'

FROM scratch
COPY --from=build /out/safe-frontend /bin/safe-frontend
ARG VCS_REVISION=unknown
ARG VCS_SOURCE=unknown
ARG VERSION=dev
LABEL org.opencontainers.image.title="safe-frontend" \
      org.opencontainers.image.description="BuildKit frontend that turns a small YAML app spec into a hardened image" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${VCS_REVISION}" \
      org.opencontainers.image.source="${VCS_SOURCE}" \
      moby.buildkit.frontend.network.none="true" \
      moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts"
USER 65532:65532
ENTRYPOINT ["/bin/safe-frontend"]
