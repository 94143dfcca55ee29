#!/usr/bin/env bash
# hack/demo.sh: build the examples (go-hello, node-hello, python-hello, rust-hello, java-hello, static-hello) through
# `# syntax=org/safe-frontend:1`, run each result hardened under runc, check
# /healthz, print what was built, stop it with SIGTERM.
#
# Env:
#   DEMO_EXAMPLES    examples to build and run (default "go-hello node-hello python-hello rust-hello java-hello static-hello")
#   DEMO_DOCKERFILE  build go-hello with this Dockerfile instead of the
#                    example's spec (e.g. hack/smoke/go-hello.Dockerfile) to
#                    exercise the runner independently of the frontend
#   DEMO_PORT        port the apps listen on (default 8080)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$REPO/_output/demo
PORT=${DEMO_PORT:-8080}

log() { printf '[demo %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() {
	printf '[demo] ERROR: %s\n' "$1" >&2
	[[ $# -gt 1 ]] && printf '[demo]   fix: %s\n' "${@:2}" >&2
	exit 1
}

[[ $(id -u) -eq 0 ]] || die "the demo runs buildkitd and runc and must run as root" "sudo $0"

# Remember whether the stack was already up: only a stack this script started
# is stopped at the end.
started_stack=0
if ! "$REPO/hack/stack" status >/dev/null 2>&1; then
	started_stack=1
fi
runner_pid=""
cleanup() {
	local rc=$?
	if [[ -n $runner_pid ]] && kill -0 "$runner_pid" 2>/dev/null; then
		log "cleanup: stopping the container"
		kill -TERM "$runner_pid" 2>/dev/null || true
		wait "$runner_pid" 2>/dev/null || true
	fi
	if ((started_stack)); then
		"$REPO/hack/stack" down || true
	fi
	if ((rc != 0)); then log "demo FAILED (exit $rc)"; fi
	exit $rc
}
trap cleanup EXIT

log "step: hack/stack up (started by the demo: $started_stack)"
"$REPO/hack/stack" up
eval "$("$REPO/hack/stack" env)"

log "step: go build run-hardened"
(cd "$REPO" && go build -o "$REPO/_output/bin/run-hardened" ./hack/run-hardened) ||
	die "building the runner failed" "cd $REPO && go build ./hack/run-hardened"
RUNNER=$REPO/_output/bin/run-hardened

# Provenance inputs: the commit and where it came from. A repository without
# commits still builds (no revision, epoch 0).
vcs_args=()
if revision=$(git -C "$REPO" rev-parse -q --verify HEAD 2>/dev/null); then
	vcs_args=(--opt vcs:revision="$revision")
else
	log "the repository has no commits: building without vcs:revision"
fi
source_url=$(git -C "$REPO" remote get-url origin 2>/dev/null || true)
source_url=${source_url:-file://$REPO}
export SOURCE_DATE_EPOCH
SOURCE_DATE_EPOCH=$(git -C "$REPO" log -1 --format=%ct 2>/dev/null || echo 0)

secret_args=()
if [[ -n ${SSL_CERT_FILE:-} && -f $SSL_CERT_FILE ]]; then
	secret_args=(--secret "id=ca,src=$SSL_CERT_FILE")
fi

# demo_example NAME: build examples/NAME, run it hardened, probe, stop.
demo_example() {
	local name=$1 EXAMPLE=$REPO/examples/$1 IMAGE=$OUT/$1.oci.tar
	local df what body ok i t0 status dockerfile_args
	dockerfile_args=(--local dockerfile="$EXAMPLE")
	what="the spec examples/$name/Dockerfile (# syntax=org/safe-frontend:1)"
	if [[ $name == go-hello && -n ${DEMO_DOCKERFILE:-} ]]; then
		df=$(cd "$(dirname "$DEMO_DOCKERFILE")" && pwd)/$(basename "$DEMO_DOCKERFILE")
		[[ -f $df ]] || die "DEMO_DOCKERFILE=$DEMO_DOCKERFILE does not exist"
		dockerfile_args=(--local dockerfile="$(dirname "$df")" --opt filename="$(basename "$df")")
		what="$DEMO_DOCKERFILE"
	fi
	mkdir -p "$OUT"
	log "step: build examples/$name from $what -> $IMAGE"
	t0=$SECONDS
	"$SAFE_BUILDCTL" --addr "$BUILDKIT_HOST" build --progress=plain --frontend dockerfile.v0 \
		--local context="$EXAMPLE" "${dockerfile_args[@]}" \
		"${vcs_args[@]}" --opt vcs:source="$source_url" \
		--opt build-arg:SOURCE_DATE_EPOCH="$SOURCE_DATE_EPOCH" \
		"${secret_args[@]}" \
		--output "type=oci,dest=$IMAGE,rewrite-timestamp=true" 2>&1 | tee "$OUT/$name.build.log" | grep -E '^#[0-9]+ (\[|DONE|CACHED|ERROR)|^error' >&2 ||
		true
	[[ ${PIPESTATUS[0]} -eq 0 ]] || die "the build failed (full log: $OUT/$name.build.log)" "read $OUT/$name.build.log"
	log "built in $((SECONDS - t0))s"

	log "step: image summary"
	"$RUNNER" inspect "$IMAGE"

	if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
		die "port $PORT is already in use on 127.0.0.1; the container shares the host network" "stop whatever listens on $PORT, or DEMO_PORT=..."
	fi

	log "step: run hardened (uid from the image, read-only root, no capabilities, seccomp, no-new-privileges)"
	"$RUNNER" run -image "$IMAGE" -state "$OUT/run" -id "$name-demo" -grace 10s &
	runner_pid=$!

	ok=0
	for ((i = 0; i < 50; i++)); do
		if body=$(curl -fsS --max-time 2 "http://127.0.0.1:$PORT/healthz" 2>/dev/null); then
			ok=1
			break
		fi
		kill -0 "$runner_pid" 2>/dev/null || break
		sleep 0.2
	done
	((ok)) || die "GET /healthz on 127.0.0.1:$PORT never answered" "see $OUT/run/bundles/$name-demo/stderr.log"
	log "GET /healthz -> $(tr -d '\n' <<<"$body")"
	log "GET / -> $(curl -fsS --max-time 2 "http://127.0.0.1:$PORT/" || echo '(no answer)')"

	log "step: stop with SIGTERM"
	kill -TERM "$runner_pid"
	status=0
	wait "$runner_pid" || status=$?
	runner_pid=""
	log "container exit status: $status"
	log "container stdout:"
	sed 's/^/  /' "$OUT/run/bundles/$name-demo/stdout.log" >&2 || true
	# A JVM exits 143 (128+SIGTERM) after its shutdown hooks; tini -e 143 makes that 0.
	((status == 0)) || die "the app did not exit cleanly on SIGTERM (status $status)"
	log "$name OK"
}

for example in ${DEMO_EXAMPLES:-go-hello node-hello python-hello rust-hello java-hello static-hello}; do
	[[ -d $REPO/examples/$example ]] || die "no example $example" "ls $REPO/examples"
	demo_example "$example"
done
log "demo OK"
