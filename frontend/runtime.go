package frontend

// runtimeDigest is the index digest (sha256:...) of the runtime companion
// image docker.io/org/safe-frontend-runtime:1 this frontend was released
// with: tini and safe-probe, copied into every final image. The root
// Dockerfile sets it at link time from its RUNTIME_DIGEST build argument:
//
//	-ldflags "-X github.com/org/safe-frontend/frontend.runtimeDigest=sha256:..."
//
// It is empty in binaries built without it (go test, in-process builds);
// the frontend then resolves the tag and pins the digest it got.
//
//lint:ignore U1000 set by the linker; read when the runtime layer is added
var runtimeDigest string
