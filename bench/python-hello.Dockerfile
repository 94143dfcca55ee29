# A hand-written best-practice Dockerfile for examples/python-hello: the
# yardstick the frontend is measured against. distroless's python3-requirements
# pattern (a Debian builder with Debian's python3, a venv, the distroless
# python3 final) with cache mounts for apt and pip and the lock's hashes.
FROM debian:trixie-slim AS build
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,target=/var/lib/apt/lists,sharing=locked \
    rm -f /etc/apt/apt.conf.d/docker-clean && \
    apt-get update -qq && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv ca-certificates >/dev/null && \
    python3 -m venv /venv
COPY requirements.txt /requirements.txt
RUN --mount=type=cache,target=/root/.cache/pip \
    --mount=type=secret,id=ca,target=/run/secrets/ca.pem \
    if [ -s /run/secrets/ca.pem ]; then export PIP_CERT=/run/secrets/ca.pem; fi && \
    /venv/bin/pip install --disable-pip-version-check --require-hashes -r /requirements.txt
COPY . /app

FROM gcr.io/distroless/python3-debian13:nonroot
COPY --from=build /venv /venv
COPY --from=build /app /app
WORKDIR /app
ENV PATH=/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER 65532:65532
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["/venv/bin/gunicorn"]
CMD ["--bind=0.0.0.0:8080", "hello:app"]
