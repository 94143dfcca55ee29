# A hand-written best-practice Dockerfile for examples/go-hello, built by
# BuildKit's built-in Dockerfile frontend. It is the yardstick for what
# safe-frontend generates from the spec, and lets the hardened runner be
# exercised independently of the frontend:
#   DEMO_DOCKERFILE=hack/smoke/go-hello.Dockerfile hack/demo.sh
FROM golang:1.26 AS build
WORKDIR /src
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
RUN --mount=type=cache,id=go-hello-gomod,target=/go/pkg/mod \
    --mount=type=secret,id=ca,target=/run/secrets/ca.pem,required=false \
    sh -c 'if [ -s /run/secrets/ca.pem ]; then export SSL_CERT_FILE=/run/secrets/ca.pem; fi; exec go mod download'
COPY . .
RUN --mount=type=cache,id=go-hello-gomod,target=/go/pkg/mod \
    --mount=type=cache,id=go-hello-gobuild,target=/root/.cache/go-build \
    go build -trimpath -buildvcs=false -ldflags="-s -w -buildid=" -o /out/hello ./cmd/hello

FROM gcr.io/distroless/static-debian13:nonroot
COPY --from=build /out/hello /usr/local/bin/hello
LABEL org.opencontainers.image.title="go-hello" \
      org.opencontainers.image.description="examples/go-hello built from a hand-written Dockerfile"
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/hello"]
CMD ["--listen=:8080"]
