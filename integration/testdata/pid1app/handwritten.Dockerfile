# The pid1app fixture with the runtime contract written by hand: tini as
# PID 1 and an exec-form HEALTHCHECK. It exercises the Docker harness on its
# own, whatever the frontend currently produces. The build context must hold
# tini-static (the host's /usr/bin/tini-static, Debian's tini package).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod main.go ./
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -buildid=" -o /out/pid1app .

FROM scratch
COPY --from=build --chmod=0755 /out/pid1app /usr/local/bin/pid1app
COPY --chmod=0755 tini-static /sbin/tini
USER 65532:65532
ENTRYPOINT ["/sbin/tini", "--", "/usr/local/bin/pid1app"]
CMD ["-listen=:18473"]
HEALTHCHECK --interval=1s --timeout=3s --start-period=5s --retries=3 CMD ["/usr/local/bin/pid1app", "probe", "http://127.0.0.1:18473/healthz"]
STOPSIGNAL SIGTERM
