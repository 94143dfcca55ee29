# A hand-written best-practice Dockerfile for examples/rust-hello: the
# yardstick the frontend is measured against. Same bases, cache mounts on
# the cargo registry and target/, the binary copied out of the cache mount,
# the same flags, distroless final, numeric non-root user.
FROM rust:1.95-trixie AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    --mount=type=secret,id=ca,target=/run/secrets/ca.pem \
    if [ -f /run/secrets/ca.pem ]; then export CARGO_HTTP_CAINFO=/run/secrets/ca.pem; fi && \
    RUSTFLAGS="-C target-feature=+crt-static -C strip=symbols" \
    cargo build --release --locked --target x86_64-unknown-linux-gnu && \
    cp target/x86_64-unknown-linux-gnu/release/rust-hello /rust-hello

FROM gcr.io/distroless/static-debian13:nonroot
COPY --from=build --chmod=0755 /rust-hello /usr/local/bin/rust-hello
USER 65532:65532
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/rust-hello"]
CMD ["--listen=:8080"]
