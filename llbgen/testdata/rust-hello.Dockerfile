# syntax=docker/dockerfile:1
# rust-hello, ejected from Dockerfile by safe-frontend: the image the frontend builds from
# the spec, written out. Build it as the frontend would:
#   docker buildx build --build-arg SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) \
#     --secret id=ca,src=/path/to/extra-ca.pem .   # the CA secret only where downloads need it

# The runtime image, pinned by digest.
FROM docker.io/org/safe-frontend-runtime:1@sha256:3333333333333333333333333333333333333333333333333333333333333333 AS safe-runtime

# The steps' generated scripts, mounted where they run: a failing step reports
# a short command, not the script's text.
FROM scratch AS scripts
COPY --chmod=0444 <<'EOF' /rust/step.sh
export CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS=cargo:token
export CARGO_HOME=/usr/local/cargo
export CARGO_TARGET_DIR=/cargo/target
export CARGO_TERM_COLOR=never
export RUSTFLAGS='-C target-feature=+crt-static -C strip=symbols'
set -eu
if [ -f '/run/secrets/ca.pem' ]; then export CARGO_HTTP_CAINFO='/run/secrets/ca.pem'; fi
rc=0
cargo fetch --locked --target x86_64-unknown-linux-gnu 2>/tmp/cargo.err || rc=$?
cat /tmp/cargo.err >&2
if [ "$rc" -ne 0 ]; then
  if grep -qE 'needs to be updated but --locked was passed|cannot update the lock file .* because --locked was passed' /tmp/cargo.err; then
    echo "error: Cargo.lock is out of date with Cargo.toml, and the build never re-resolves dependencies. Run cargo update --workspace (or cargo build) where you develop, review the change to Cargo.lock, and commit it." >&2
  fi
  exit "$rc"
fi
EOF
COPY --chmod=0444 <<'EOF' /rust/step-2.sh
export CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS=cargo:token
export CARGO_HOME=/usr/local/cargo
export CARGO_TARGET_DIR=/cargo/target
export CARGO_TERM_COLOR=never
export RUSTFLAGS='-C target-feature=+crt-static -C strip=symbols'
set -eu
if [ -f '/run/secrets/ca.pem' ]; then export CARGO_HTTP_CAINFO='/run/secrets/ca.pem'; fi
if [ ! -d "$(rustc --print sysroot)/lib/rustlib/x86_64-unknown-linux-gnu/lib" ]; then
  echo "error: the Rust toolchain in the builder has no standard library for x86_64-unknown-linux-gnu; build on a builder of that platform, or use a builder with the target installed (rustup target add x86_64-unknown-linux-gnu)" >&2
  exit 1
fi
rc=0
cargo build --release --locked --target x86_64-unknown-linux-gnu --package rust-hello 2>/tmp/cargo.err || rc=$?
cat /tmp/cargo.err >&2
if [ "$rc" -ne 0 ]; then
  if grep -qE 'needs to be updated but --locked was passed|cannot update the lock file .* because --locked was passed' /tmp/cargo.err; then
    echo "error: Cargo.lock is out of date with Cargo.toml, and the build never re-resolves dependencies. Run cargo update --workspace (or cargo build) where you develop, review the change to Cargo.lock, and commit it." >&2
  fi
  exit "$rc"
fi
EOF
COPY --chmod=0444 <<'EOF' /rust/step-3.sh
export CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS=cargo:token
export CARGO_HOME=/usr/local/cargo
export CARGO_TARGET_DIR=/cargo/target
export CARGO_TERM_COLOR=never
export RUSTFLAGS='-C target-feature=+crt-static -C strip=symbols'
set -eu
if [ -f '/run/secrets/ca.pem' ]; then export CARGO_HTTP_CAINFO='/run/secrets/ca.pem'; fi
if [ ! -d "$(rustc --print sysroot)/lib/rustlib/x86_64-unknown-linux-gnu/lib" ]; then
  echo "error: the Rust toolchain in the builder has no standard library for x86_64-unknown-linux-gnu; build on a builder of that platform, or use a builder with the target installed (rustup target add x86_64-unknown-linux-gnu)" >&2
  exit 1
fi
rc=0
find /src -type f -exec touch -c {} + && cargo build --release --locked --target x86_64-unknown-linux-gnu --package rust-hello --bin rust-hello 2>/tmp/cargo.err || rc=$?
cat /tmp/cargo.err >&2
if [ "$rc" -ne 0 ]; then
  if grep -qE 'needs to be updated but --locked was passed|cannot update the lock file .* because --locked was passed' /tmp/cargo.err; then
    echo "error: Cargo.lock is out of date with Cargo.toml, and the build never re-resolves dependencies. Run cargo update --workspace (or cargo build) where you develop, review the change to Cargo.lock, and commit it." >&2
  fi
  exit "$rc"
fi
mkdir -p /out
cp '/cargo/target/x86_64-unknown-linux-gnu/release/rust-hello' '/out/rust-hello'
command -v objcopy >/dev/null 2>&1 || { echo "error: the builder has no objcopy (binutils) to record the dependencies in the binary" >&2; exit 1; }
objcopy --add-section .dep-v0='/run/cargo-audit/.dep-v0' --set-section-flags .dep-v0=noload,readonly '/out/rust-hello'
if command -v readelf >/dev/null 2>&1 && readelf -lW '/out/rust-hello' | grep -q 'program interpreter'; then
  echo "error: the binary is not static (it asks for a dynamic loader): a dependency links a shared C library; set rust.static: false to run it on distroless cc" >&2
  exit 1
fi
EOF

# rust-audit: files the build writes, in base64 (a Dockerfile holds text only), decoded
# into /safe-files on the builder image.
FROM docker.io/library/rust:1.95-trixie@sha256:1111111111111111111111111111111111111111111111111111111111111111 AS rust-audit
# [rust 5/5] dependency list for the binary (.dep-v0)
RUN <<'EOF'
mkdir -p /safe-files
base64 -d >/safe-files/.dep-v0 <<'DATA'
eNqkVu1u2yAUfRf/3TUy4M+8yhRVBN8lLDZ4gJNFVd99cqp2CaQybf9aPud+nnN5ziYhj2KPLtv8
fM60GDHbZMKbUcn8LI5oM8hOaJ0yOttklFDCMsicma1c/pRWeHREmewF/sP/zuMdrCAt6R7DIOtx
Qt2jluqaBAMODbTQAS2AcqAl0ApoA7QF2gGjwBiwGjgHXgKvgTfA220QPpfGYpBDRerEHDhU7xl0
S7wlWBhmd/Howu6whPagtdoEuXFCq8TkaA0lu03k1+xni+5RyZzwcjWfN7wX7vgd/OzVkIyPyqqg
vk62uy3t4P0UtLgiRfIUaRWS5TvTX6KVTmdsHxI+Kp2S6pPbxlhILqzDMNmC0NWJLNhe+BBbEL4O
vUyx5llyhwp41w4FyhbpLvIpgJfbMMrjrjGaPowlDL8GKANxKm9EVD3tVssf1E4GKTFCu/WWj8LL
g/KR7a3LZ8RRHu5bzkibMKpRjbHeaZuAM0FrGPmM+RSB/0xoJWqfo5amV3oflMITLHFSOp+s+Y3S
54PyGI9gvazJGpmPQlrD4skXTepW3fnPn9k8UFGZSsb4LZmdnc8POAwmYryT12CkGB60ftEQZNYY
n228nfGG2qHt8Sk6AAs1Y8mXt9lGlD1adfoWKQdWAr9bGKf2Wgz5wZhjbnGvnLehJ5ekTQxQAq3v
yAexC9anJHR9Bd0ohuGEMvS++qNXwy3WyCN6FoStyZdPurvoOzJ+3eHPtbwLCOXT2YopdvciQZ/e
HCPTqEpC0+tjxfW6t8Ap8Coo90r/ql0XuEfzUXZJm+bNOah3eQby5CdJ8/b4K+P335U7H8QlisAT
zPsV7dCelMQv4GetpOkxVz1qH0+0WSU4C6fC40sJ/bF8z50WkzsYn08WTwrP6/fvrHRvzi4flD7G
7p0MdxcXqogmb0BJty/bl38BAAD//3OkAp8=
DATA
chmod 0644 /safe-files/.dep-v0
EOF

FROM docker.io/library/rust:1.95-trixie@sha256:1111111111111111111111111111111111111111111111111111111111111111 AS rust
# The extra CA bundle for downloads, when the build passes one (--secret id=ca).
ENV SSL_CERT_FILE=/run/secrets/ca.pem
# [rust 1/5] copy Cargo.toml, Cargo.lock and stub targets
# what the dependencies are made from, with empty stand-ins for the sources: a source edit leaves the next two steps cached
COPY Cargo.toml Cargo.lock /src/
RUN ["mkdir", "-p", "-m", "0755", "/src/src"]
COPY --chmod=0644 <<'EOF' /src/src/lib.rs

EOF
# [rust 2/5] cargo fetch --locked
# the crates the lock names, for the target, into $CARGO_HOME in this step's layer, which a registry cache carries
WORKDIR /src
RUN --mount=type=secret,id=ca,target=/run/secrets/ca.pem \
    --mount=type=bind,from=scripts,source=/rust/step.sh,target=/run/safe-frontend/step.sh \
    ["/bin/sh", "/run/safe-frontend/step.sh"]
# [rust 3/5] cargo build --release (dependencies of rust-hello)
# the dependencies compiled against the stubs, into the target directory in this step's layer
RUN --mount=type=secret,id=ca,target=/run/secrets/ca.pem \
    --mount=type=bind,from=scripts,source=/rust/step-2.sh,target=/run/safe-frontend/step.sh \
    ["/bin/sh", "/run/safe-frontend/step.sh"]
# [rust 4/5] copy sources
# the sources replace the stubs; target/ and the toolchain file stay out
RUN ["rm", "-rf", "/src/src/lib.rs"]
COPY --exclude=target --exclude=rust-toolchain.toml --exclude=rust-toolchain . /src/
# [rust 5/5] cargo build --release --bin rust-hello
# the app's own crates only, stripped; the binary gets its dependency list and, when static, is checked to need no loader
RUN --mount=type=bind,from=rust-audit,source=/safe-files,target=/run/cargo-audit \
    --mount=type=secret,id=ca,target=/run/secrets/ca.pem \
    --mount=type=bind,from=scripts,source=/rust/step-3.sh,target=/run/safe-frontend/step.sh \
    ["/bin/sh", "/run/safe-frontend/step.sh"]

# The final image: the runtime base pinned by digest, only what runs copied in,
# owned by root and not writable by the app's user.
FROM gcr.io/distroless/static-debian13:nonroot@sha256:2222222222222222222222222222222222222222222222222222222222222222 AS final
# runtime: tini as PID 1 and the shell-less health probe, from the runtime image
COPY --link --from=safe-runtime --chmod=0755 /sbin/tini /usr/sbin/tini
COPY --link --from=safe-runtime --chmod=0644 /var/lib/dpkg/status.d/tini /var/lib/dpkg/status.d/tini
COPY --link --from=safe-runtime --chmod=0755 /sbin/safe-probe /usr/sbin/safe-probe
# app
COPY --link --from=rust --chmod=0755 /out/rust-hello /usr/local/bin/rust-hello

# A numeric non-root user: Kubernetes' runAsNonRoot can check it.
USER 65532:65532
WORKDIR /
EXPOSE 8080
LABEL org.opencontainers.image.base.digest=sha256:2222222222222222222222222222222222222222222222222222222222222222
LABEL org.opencontainers.image.base.name=gcr.io/distroless/static-debian13:nonroot
LABEL org.opencontainers.image.title=rust-hello
LABEL org.opencontainers.image.version=1.0.0
# Where the code comes from: the build args the frontend reads too. The image's
# created time is SOURCE_DATE_EPOCH's (a Dockerfile cannot write it as a label).
ARG VCS_REVISION VCS_SOURCE
LABEL org.opencontainers.image.revision=$VCS_REVISION org.opencontainers.image.source=$VCS_SOURCE
# The health check runs the static probe: no shell, no curl in the image.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --start-interval=1s --retries=3 \
    CMD ["/usr/sbin/safe-probe", "-timeout=3s", "http://127.0.0.1:8080/healthz"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/sbin/tini", "--", "/usr/local/bin/rust-hello"]
CMD ["--listen=:8080"]

--- .dockerignore
# The build context the frontend sends: its ignore patterns and the files
# that never belong in an image (keys, .env, VCS state).
.git
**/*.pem
