package frontend

// runtimeDigest is the digest of the runtime companion image (tini and
// safe-probe) this frontend was released with, set at build time with
// -ldflags "-X github.com/org/safe-frontend/frontend.runtimeDigest=sha256:...".
// Empty in a development build: the tag is then resolved and pinned per build.
var runtimeDigest string
