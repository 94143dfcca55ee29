# syntax=docker/dockerfile:1
# python-hello, ejected from Dockerfile by safe-frontend: the image the frontend builds from
# the spec, written out. Build it as the frontend would:
#   docker buildx build --build-arg SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) \
#     --secret id=ca,src=/path/to/extra-ca.pem .   # the CA secret only where downloads need it

# The runtime image, pinned by digest.
FROM docker.io/org/safe-frontend-runtime:1@sha256:3333333333333333333333333333333333333333333333333333333333333333 AS safe-runtime

# The steps' generated scripts, mounted where they run: a failing step reports
# a short command, not the script's text.
FROM scratch AS scripts
COPY --chmod=0444 <<'EOF' /python-deps/step.sh
rm -f /etc/apt/apt.conf.d/docker-clean
echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' > /etc/apt/apt.conf.d/keep-cache
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3.13-venv ca-certificates >/dev/null
/usr/bin/python3.13 -m venv /opt/pip
/usr/bin/python3.13 -m venv --without-pip /venv
EOF
COPY --chmod=0444 <<'EOF' /python-deps/step-2.sh
export PIP_DISABLE_PIP_VERSION_CHECK=1
export PIP_ROOT_USER_ACTION=ignore
export PIP_NO_INPUT=1
if [ -s '/run/secrets/ca.pem' ]; then export PIP_CERT='/run/secrets/ca.pem' SSL_CERT_FILE='/run/secrets/ca.pem'; else unset SSL_CERT_FILE; fi
/opt/pip/bin/pip --python /venv/bin/python install --no-compile --no-warn-script-location --require-hashes -r requirements.txt
/usr/bin/python3.13 -m compileall -q -j0 --invalidation-mode unchecked-hash /venv/lib
EOF
COPY --chmod=0444 <<'EOF' /python/step.sh
[ -x '/venv/bin/gunicorn' ] || { echo 'python.script: gunicorn is not a console script of the installed packages; /venv/bin has:' >&2; ls /venv/bin >&2; exit 1; }
/usr/bin/python3.13 -m compileall -q --invalidation-mode unchecked-hash /app
EOF

FROM docker.io/library/debian:trixie-slim@sha256:1111111111111111111111111111111111111111111111111111111111111111 AS python-deps
# The extra CA bundle for downloads, when the build passes one (--secret id=ca).
ENV SSL_CERT_FILE=/run/secrets/ca.pem
# [python 1/5] apt-get install python3.13-venv ca-certificates; python3.13 -m venv /venv
# Debian's CPython, the very interpreter the distroless final runs, with a venv for pip and an empty one for the app
RUN --mount=type=cache,id=apt-lists-3.13,target=/var/lib/apt/lists,sharing=locked \
    --mount=type=cache,id=apt-cache-3.13,target=/var/cache/apt,sharing=locked \
    --mount=type=secret,id=ca,target=/run/secrets/ca.pem \
    --mount=type=bind,from=scripts,source=/python-deps/step.sh,target=/run/safe-frontend/step.sh \
    ["/bin/sh", "-e", "/run/safe-frontend/step.sh"]
# [python 2/5] copy requirements.txt
# the lock alone before the sources: a source edit leaves the install below cached
COPY requirements.txt /src/requirements.txt
# [python 3/5] pip install --require-hashes -r requirements.txt into /venv
# the locked dependencies into /venv, compiled, by a pip or uv that never reaches the image
WORKDIR /src
RUN --mount=type=cache,id=pip,target=/root/.cache/pip,sharing=shared \
    --mount=type=secret,id=ca,target=/run/secrets/ca.pem \
    --mount=type=bind,from=scripts,source=/python-deps/step-2.sh,target=/run/safe-frontend/step.sh \
    ["/bin/sh", "-e", "/run/safe-frontend/step.sh"]

FROM python-deps AS python
# The extra CA bundle for downloads, when the build passes one (--secret id=ca).
ENV SSL_CERT_FILE=/run/secrets/ca.pem
# [python 4/5] copy sources
# the sources after the dependencies: an edit reruns only the steps from here
COPY --exclude=.dockerignore --exclude=Dockerfile --exclude=Dockerfile.dockerignore . /app/
# [python 5/5] compile bytecode of /app (unchecked-hash)
# bytecode now, as the image's root is read-only at run time; and the entry point must exist
WORKDIR /app
RUN --mount=type=secret,id=ca,target=/run/secrets/ca.pem \
    --mount=type=bind,from=scripts,source=/python/step.sh,target=/run/safe-frontend/step.sh \
    ["/bin/sh", "-e", "/run/safe-frontend/step.sh"]

# The final image: the runtime base pinned by digest, only what runs copied in,
# owned by root and not writable by the app's user.
FROM gcr.io/distroless/python3-debian13:nonroot@sha256:2222222222222222222222222222222222222222222222222222222222222222 AS final
# runtime: tini as PID 1 and the shell-less health probe, from the runtime image
COPY --link --from=safe-runtime --chmod=0755 /sbin/tini /usr/sbin/tini
COPY --link --from=safe-runtime --chmod=0644 /var/lib/dpkg/status.d/tini /var/lib/dpkg/status.d/tini
COPY --link --from=safe-runtime --chmod=0755 /sbin/safe-probe /usr/sbin/safe-probe
# venv
COPY --link --from=python-deps /venv/ /venv/
# app
COPY --link --from=python /app/ /app/

# A numeric non-root user: Kubernetes' runAsNonRoot can check it.
USER 65532:65532
ENV PATH=/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENV PYTHONDONTWRITEBYTECODE=1
ENV PYTHONUNBUFFERED=1
WORKDIR /app
EXPOSE 8080
LABEL org.opencontainers.image.base.digest=sha256:2222222222222222222222222222222222222222222222222222222222222222
LABEL org.opencontainers.image.base.name=gcr.io/distroless/python3-debian13:nonroot
LABEL org.opencontainers.image.title=python-hello
LABEL org.opencontainers.image.version=1.0.0
# Where the code comes from: the build args the frontend reads too. The image's
# created time is SOURCE_DATE_EPOCH's (a Dockerfile cannot write it as a label).
ARG VCS_REVISION VCS_SOURCE
LABEL org.opencontainers.image.revision=$VCS_REVISION org.opencontainers.image.source=$VCS_SOURCE
# The health check runs the static probe: no shell, no curl in the image.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --start-interval=1s --retries=3 \
    CMD ["/usr/sbin/safe-probe", "-timeout=3s", "http://127.0.0.1:8080/healthz"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/sbin/tini", "--", "/venv/bin/gunicorn"]
CMD ["--bind=0.0.0.0:8080", "hello:app"]

--- .dockerignore
# The build context the frontend sends: its ignore patterns and the files
# that never belong in an image (keys, .env, VCS state).
.git
**/*.pem
