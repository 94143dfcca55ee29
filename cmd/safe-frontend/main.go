// Command safe-frontend is the BuildKit gateway frontend: BuildKit runs it
// for a file whose first line is `# syntax=org/safe-frontend:1`.
package main

import (
	"fmt"
	"os"

	"github.com/moby/buildkit/frontend/gateway/grpcclient"
	"github.com/moby/buildkit/util/appcontext"
	_ "github.com/moby/buildkit/util/grpcutil/encoding/proto"

	"github.com/org/safe-frontend/frontend"
	"github.com/org/safe-frontend/internal/version"
)

func main() {
	// BuildKit starts the frontend without arguments; --version is for
	// people and release checks (it runs under qemu-user for each platform).
	if len(os.Args) == 2 && (os.Args[1] == "--version" || os.Args[1] == "version") {
		fmt.Println(version.Line("safe-frontend"))
		return
	}
	if err := grpcclient.RunFromEnvironment(appcontext.Context(), frontend.Build); err != nil {
		fmt.Fprintf(os.Stderr, "safe-frontend: %+v\n", err)
		os.Exit(1)
	}
}
