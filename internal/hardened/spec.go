package hardened

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/containerd/containerd/v2/contrib/seccomp"
	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/containerd/v2/pkg/oci"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// specNamespace is the containerd namespace the default spec is generated
// in; it only names the cgroup parent (/safe-frontend/<id>).
const specNamespace = "safe-frontend"

// ParseUser accepts only a numeric, non-root "uid:gid": a name would need the
// image's /etc/passwd (which distroless and scratch images may lack), and
// Kubernetes' runAsNonRoot cannot verify a name either.
func ParseUser(user string) (uid, gid uint32, err error) {
	if user == "" {
		return 0, 0, errors.New("image config sets no User: it would run as root")
	}
	u, g, ok := strings.Cut(user, ":")
	if !ok {
		return 0, 0, fmt.Errorf("image User %q must be numeric uid:gid", user)
	}
	uid, err = parseID(u)
	if err != nil {
		return 0, 0, fmt.Errorf("image User %q: uid: %w", user, err)
	}
	gid, err = parseID(g)
	if err != nil {
		return 0, 0, fmt.Errorf("image User %q: gid: %w", user, err)
	}
	if uid == 0 {
		return 0, 0, fmt.Errorf("image User %q is root", user)
	}
	return uid, gid, nil
}

func parseID(s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == math.MaxUint32 {
		return 0, fmt.Errorf("%q is not a numeric id", s)
	}
	return uint32(n), nil
}

// SpecOptions are the inputs of Spec besides the image config.
type SpecOptions struct {
	// Args replaces the image Cmd (the Entrypoint is kept), as `docker run
	// IMAGE ARGS...` does.
	Args []string
	// Hostname of the UTS namespace; defaults to "hardened".
	Hostname string
}

// Spec builds the runc runtime spec for a container of img. The rootfs path
// is "rootfs", relative to the bundle.
//
// The base is containerd's default Linux spec (kernel paths masked or
// read-only, the standard /proc, /dev and /sys mounts, device cgroup denying
// all but the standard nodes, RLIMIT_NOFILE 1024, no-new-privileges); on top
// of it: the image's user, args, env and working directory, a read-only
// root, no capabilities at all, containerd's default seccomp profile for
// that capability set, and /tmp as the only writable place.
func Spec(img ocispecs.ImageConfig, opts SpecOptions) (*specs.Spec, error) {
	uid, gid, err := ParseUser(img.User)
	if err != nil {
		return nil, err
	}
	args := append([]string{}, img.Entrypoint...)
	if opts.Args != nil {
		args = append(args, opts.Args...)
	} else {
		args = append(args, img.Cmd...)
	}
	if len(args) == 0 {
		return nil, errors.New("image has neither Entrypoint nor Cmd and no arguments were given")
	}
	cwd := img.WorkingDir
	if cwd == "" {
		cwd = "/"
	}
	if !strings.HasPrefix(cwd, "/") {
		return nil, fmt.Errorf("image WorkingDir %q is not absolute", cwd)
	}
	hostname := opts.Hostname
	if hostname == "" {
		hostname = "hardened"
	}
	ctx := namespaces.WithNamespace(context.Background(), specNamespace)
	s, err := oci.GenerateSpec(ctx, nil, &containers.Container{ID: hostname},
		oci.WithDefaultPathEnv,
		oci.WithEnv(img.Env),
		oci.WithProcessArgs(args...),
		oci.WithProcessCwd(cwd),
		oci.WithUIDGID(uid, gid),
		oci.WithRootFSReadonly(),
		oci.WithNoNewPrivileges,
		// Empty sets in a present object: runc then grants nothing, where
		// a missing object would mean runc's own defaults.
		oci.WithCapabilities(nil),
		oci.WithHostname(hostname),
		// No network namespace: the container shares the host's, so an
		// app listening on :8080 is reachable on 127.0.0.1:8080 without
		// veth/CNI setup. Everything else is isolated.
		oci.WithHostNamespace(specs.NetworkNamespace),
		oci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.CgroupNamespace}),
		// /tmp is the only writable place, as in a pod with
		// readOnlyRootFilesystem and an emptyDir at /tmp: no tmpfs /run.
		oci.WithoutRunMount,
		oci.WithMounts([]specs.Mount{
			{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}},
			{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "mode=1777", "size=65536k"}},
		}),
		// Last: the profile is computed from the capabilities, and with
		// none the syscalls containerd allows only to privileged
		// containers stay blocked.
		seccomp.WithDefaultProfile(),
	)
	if err != nil {
		return nil, fmt.Errorf("generating the runtime spec: %w", err)
	}
	return s, nil
}
