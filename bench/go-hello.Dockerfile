# A hand-written best-practice Dockerfile for examples/go-hello: the yardstick
# the frontend is measured against. Same bases, same cache mounts, same flags.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=secret,id=ca,target=/run/secrets/ca.pem \
    ["env", "SSL_CERT_FILE=/run/secrets/ca.pem", "go", "mod", "download"]
COPY . .
# On a runner whose module cache mount is empty (a fresh CI runner) the build
# downloads the modules again: it needs the CA as well.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    --mount=type=secret,id=ca,target=/run/secrets/ca.pem \
    ["env", "SSL_CERT_FILE=/run/secrets/ca.pem", "CGO_ENABLED=0", "go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-o", "/out/go-hello", "./cmd/hello"]

FROM gcr.io/distroless/static-debian13:nonroot
COPY --from=build --chmod=0755 /out/go-hello /usr/local/bin/go-hello
USER 65532:65532
EXPOSE 8080
ENV LOG_FORMAT=json
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/go-hello"]
CMD ["--listen=:8080"]
