// Package all registers every language that lives in a package of its own
// (import it for its side effect).
package all

import (
	// Each registers itself in lang's registry.
	_ "github.com/org/safe-frontend/lang/golang"
	_ "github.com/org/safe-frontend/lang/java"
	_ "github.com/org/safe-frontend/lang/node"
	_ "github.com/org/safe-frontend/lang/python"
	_ "github.com/org/safe-frontend/lang/rust"
	_ "github.com/org/safe-frontend/lang/static"
)
