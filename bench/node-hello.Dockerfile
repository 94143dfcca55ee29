# A hand-written best-practice Dockerfile for examples/node-hello: the
# yardstick the frontend is measured against. Same bases, a frozen
# production install with a cache mount, distroless nodejs, numeric user.
FROM node:22-trixie AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    --mount=type=secret,id=ca,target=/run/secrets/ca.pem \
    ["env", "NODE_EXTRA_CA_CERTS=/run/secrets/ca.pem", "npm", "ci", "--omit=dev", "--no-audit", "--no-fund"]

FROM gcr.io/distroless/nodejs22-debian13:nonroot
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json server.js ./
USER 65532:65532
ENV NODE_ENV=production
EXPOSE 8080
STOPSIGNAL SIGTERM
CMD ["/app/server.js", "--listen=:8080"]
