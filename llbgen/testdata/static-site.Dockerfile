# syntax=docker/dockerfile:1
# site, ejected from Dockerfile by safe-frontend: the image the frontend builds from
# the spec, written out. Build it as the frontend would:
#   docker buildx build --build-arg SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) \
#     --secret id=ca,src=/path/to/extra-ca.pem .   # the CA secret only where downloads need it

# The runtime image, pinned by digest.
FROM docker.io/org/safe-frontend-runtime:1@sha256:3333333333333333333333333333333333333333333333333333333333333333 AS safe-runtime

# The tools image, pinned by digest.
FROM docker.io/org/safe-frontend-runtime:1@sha256:3333333333333333333333333333333333333333333333333333333333333333 AS safe-tools

FROM safe-tools AS static-site
# The extra CA bundle for downloads, when the build passes one (--secret id=ca).
ENV SSL_CERT_FILE=/run/secrets/ca.pem
# [static 1/1] safe-precompress public
# the site's files without dotfiles, their brotli and gzip variants, and the manifest of their hashes (the ETags)
RUN --mount=type=bind,target=/in \
    --mount=type=secret,id=ca,target=/run/secrets/ca.pem \
    ["/sbin/safe-precompress", "-src", "/in/public", "-out", "/out"]

# The final image: the runtime base pinned by digest, only what runs copied in,
# owned by root and not writable by the app's user.
FROM scratch AS final
# runtime: tini as PID 1, from the runtime image
COPY --link --from=safe-runtime --chmod=0755 /sbin/tini /usr/sbin/tini
COPY --link --from=safe-runtime --chmod=0644 /var/lib/dpkg/status.d/tini /var/lib/dpkg/status.d/tini
# server
COPY --link --from=safe-runtime --chmod=0755 /sbin/safe-static /usr/sbin/safe-static
# site
COPY --link --from=static-site /out/ /srv/www/

# A numeric non-root user: Kubernetes' runAsNonRoot can check it.
USER 65532:65532
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /
EXPOSE 8080
LABEL org.opencontainers.image.title=site
LABEL org.opencontainers.image.version=1.0.0
# Where the code comes from: the build args the frontend reads too. The image's
# created time is SOURCE_DATE_EPOCH's (a Dockerfile cannot write it as a label).
ARG VCS_REVISION VCS_SOURCE
LABEL org.opencontainers.image.revision=$VCS_REVISION org.opencontainers.image.source=$VCS_SOURCE
# The health check runs the static probe: no shell, no curl in the image.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --start-interval=1s --retries=3 \
    CMD ["/usr/sbin/safe-static", "-probe", "-timeout=3s", "http://127.0.0.1:8080/healthz"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/sbin/tini", "--", "/usr/sbin/safe-static", "-root=/srv/www", "-listen=:8080", "-spa"]

--- .dockerignore
# The build context the frontend sends: its ignore patterns and the files
# that never belong in an image (keys, .env, VCS state).
.git
**/*.pem
