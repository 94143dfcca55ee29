# syntax=docker/dockerfile:1
# node-hello, ejected from Dockerfile by safe-frontend: the image the frontend builds from
# the spec, written out. Build it as the frontend would:
#   docker buildx build --build-arg SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) \
#     --secret id=ca,src=/path/to/extra-ca.pem .   # the CA secret only where downloads need it

# The runtime image, pinned by digest.
FROM docker.io/org/safe-frontend-runtime:1@sha256:3333333333333333333333333333333333333333333333333333333333333333 AS safe-runtime

# The steps' generated scripts, mounted where they run: a failing step reports
# a short command, not the script's text.
FROM scratch AS scripts
COPY --chmod=0444 <<'EOF' /node-prod/safe-frontend-frozen-install.sh
export NODE_EXTRA_CA_CERTS=/run/secrets/ca.pem
export COREPACK_HOME=/root/.cache/node/corepack
export COREPACK_ENABLE_DOWNLOAD_PROMPT=0
export YARN_CACHE_FOLDER=/root/.cache/yarn
export npm_config_update_notifier=false
export CI=true
{ "$@" 2>&1; echo $? >/tmp/install.status; } | tee /tmp/install.log
st=$(cat /tmp/install.status)
if [ "$st" -ne 0 ] && grep -qE 'are in sync|from lock file|lockfile needs to be updated|ERR_PNPM_OUTDATED_LOCKFILE|YN0028|not up to date with' /tmp/install.log; then
  echo "The lockfile does not match package.json: the frozen install refuses to change it." >&2
  exit 111
fi
exit "$st"
EOF

FROM docker.io/library/node:22-trixie@sha256:1111111111111111111111111111111111111111111111111111111111111111 AS node-manifests
# [node 1/2] copy package.json package-lock.json
# the manifests and the lockfile alone first: a source edit leaves the installs cached
# A name with its last letter in brackets may be missing: COPY skips it.
COPY --parents --exclude=**/node_modules package.jso[n] package-lock.jso[n] .yarnrc.ym[l] .yarn/release[s] .yarn/plugin[s] .yarn/patche[s] patche[s] /app/

FROM node-manifests AS node-prod
# The extra CA bundle for downloads, when the build passes one (--secret id=ca).
ENV SSL_CERT_FILE=/run/secrets/ca.pem
# [node 2/2] production install: npm ci --no-audit --no-fund --omit=dev
# the production dependencies alone, exactly as the lockfile pins them: the node_modules layer
WORKDIR /app
RUN --mount=type=tmpfs,target=/tmp \
    --mount=type=cache,id=corepack,target=/root/.cache/node/corepack,sharing=shared \
    --mount=type=cache,id=npm,target=/root/.npm,sharing=shared \
    --mount=type=secret,id=ca,target=/run/secrets/ca.pem \
    --mount=type=bind,from=scripts,source=/node-prod/safe-frontend-frozen-install.sh,target=/run/safe-frontend/safe-frontend-frozen-install.sh \
    ["/bin/sh", "/run/safe-frontend/safe-frontend-frozen-install.sh", "npm", "ci", "--no-audit", "--no-fund", "--omit=dev"]

# The final image: the runtime base pinned by digest, only what runs copied in,
# owned by root and not writable by the app's user.
FROM gcr.io/distroless/nodejs22-debian13:nonroot@sha256:2222222222222222222222222222222222222222222222222222222222222222 AS final
# runtime: tini as PID 1 and the shell-less health probe, from the runtime image
COPY --link --from=safe-runtime --chmod=0755 /sbin/tini /usr/sbin/tini
COPY --link --from=safe-runtime --chmod=0644 /var/lib/dpkg/status.d/tini /var/lib/dpkg/status.d/tini
COPY --link --from=safe-runtime --chmod=0755 /sbin/safe-probe /usr/sbin/safe-probe
# node_modules
COPY --link --from=node-prod /app/node_modules/ /app/node_modules/
# app
COPY --link --exclude=**/node_modules --exclude=.dockerignore --exclude=.yarn --exclude=.yarnrc.yml --exclude=.pnpm-store --exclude=.npm --exclude=Dockerfile --exclude=Dockerfile.dockerignore ./ /app/

# A numeric non-root user: Kubernetes' runAsNonRoot can check it.
USER 65532:65532
ENV NODE_ENV=production
WORKDIR /app
EXPOSE 8080
LABEL org.opencontainers.image.base.digest=sha256:2222222222222222222222222222222222222222222222222222222222222222
LABEL org.opencontainers.image.base.name=gcr.io/distroless/nodejs22-debian13:nonroot
LABEL org.opencontainers.image.title=node-hello
LABEL org.opencontainers.image.version=1.0.0
# Where the code comes from: the build args the frontend reads too. The image's
# created time is SOURCE_DATE_EPOCH's (a Dockerfile cannot write it as a label).
ARG VCS_REVISION VCS_SOURCE
LABEL org.opencontainers.image.revision=$VCS_REVISION org.opencontainers.image.source=$VCS_SOURCE
# The health check runs the static probe: no shell, no curl in the image.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --start-interval=1s --retries=3 \
    CMD ["/usr/sbin/safe-probe", "-timeout=3s", "http://127.0.0.1:8080/healthz"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/sbin/tini", "--", "/nodejs/bin/node", "/app/server.js"]
CMD ["--listen=:8080"]

--- .dockerignore
# The build context the frontend sends: its ignore patterns and the files
# that never belong in an image (keys, .env, VCS state).
.git
**/*.pem
