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
)

func main() {
	if err := grpcclient.RunFromEnvironment(appcontext.Context(), frontend.Build); err != nil {
		fmt.Fprintf(os.Stderr, "safe-frontend: %+v\n", err)
		os.Exit(1)
	}
}
