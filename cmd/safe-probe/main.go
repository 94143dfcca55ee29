// Command safe-probe is the health probe of the images safe-frontend builds:
// a static binary, started without a shell, that Docker's HEALTHCHECK (exec
// form) and Kubernetes exec probes run inside the container.
//
//	safe-probe [-timeout=3s] http://127.0.0.1:8080/healthz
//	safe-probe [-timeout=3s] tcp://127.0.0.1:8080
//
// Exit status: 0 healthy (HTTP: a 2xx answer; TCP: the port accepts a
// connection), 1 unhealthy (one line on stdout says why), 2 usage error.
// The probe itself is package probe, which safe-static -probe runs too.
// It lands in every image, so it imports no net, net/http, net/url, fmt or
// flag: they would more than double its size.
package main

import (
	"os"

	"github.com/org/safe-frontend/internal/probe"
)

func main() {
	os.Exit(probe.Run("safe-probe", os.Args[1:], os.Stdout, os.Stderr))
}
