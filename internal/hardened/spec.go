package hardened

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/containerd/containerd/v2/contrib/seccomp"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// defaultPath is used when the image sets no PATH, as container runtimes do.
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// nofile is the open-files limit; the same soft and hard value keeps an app
// from raising it.
const nofile = 1024

// Kernel paths hidden from or read-only in the container; the same lists
// containerd applies to every container by default.
var (
	maskedPaths = []string{
		"/proc/acpi",
		"/proc/asound",
		"/proc/interrupts",
		"/proc/kcore",
		"/proc/keys",
		"/proc/latency_stats",
		"/proc/sched_debug",
		"/proc/scsi",
		"/proc/timer_list",
		"/proc/timer_stats",
		"/sys/devices/virtual/powercap",
		"/sys/firmware",
	}
	readonlyPaths = []string{
		"/proc/bus",
		"/proc/fs",
		"/proc/irq",
		"/proc/sys",
		"/proc/sysrq-trigger",
	}
)

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
	env := append([]string{}, img.Env...)
	if !hasEnv(env, "PATH") {
		env = append([]string{defaultPath}, env...)
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
	noCaps := []string{}
	s := &specs.Spec{
		Version: specs.Version,
		Root:    &specs.Root{Path: "rootfs", Readonly: true},
		Process: &specs.Process{
			Args: args,
			Env:  env,
			Cwd:  cwd,
			User: specs.User{UID: uid, GID: gid, AdditionalGids: []uint32{gid}},
			// A present object with empty sets: runc then grants nothing,
			// whereas a nil object would leave runc's defaults.
			Capabilities: &specs.LinuxCapabilities{
				Bounding:    noCaps,
				Effective:   noCaps,
				Permitted:   noCaps,
				Inheritable: noCaps,
				Ambient:     noCaps,
			},
			NoNewPrivileges: true,
			Rlimits: []specs.POSIXRlimit{
				{Type: "RLIMIT_NOFILE", Hard: nofile, Soft: nofile},
			},
		},
		Hostname: hostname,
		Mounts:   mounts(),
		Linux: &specs.Linux{
			// No network namespace: the container shares the host's, so an
			// app listening on :8080 is reachable on 127.0.0.1:8080 without
			// veth/CNI setup. Everything else is isolated.
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace},
				{Type: specs.IPCNamespace},
				{Type: specs.UTSNamespace},
				{Type: specs.MountNamespace},
				{Type: specs.CgroupNamespace},
			},
			MaskedPaths:   maskedPaths,
			ReadonlyPaths: readonlyPaths,
			Resources: &specs.LinuxResources{
				// Deny every device node; runc re-allows its standard set
				// (null, zero, random, tty...).
				Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
			},
		},
	}
	// The profile is computed from the spec's capabilities: with none, the
	// syscalls that containerd only allows to privileged containers stay
	// blocked.
	s.Linux.Seccomp = seccomp.DefaultProfile(s)
	return s, nil
}

func hasEnv(env []string, key string) bool {
	for _, e := range env {
		if k, _, _ := strings.Cut(e, "="); k == key {
			return true
		}
	}
	return false
}

func mounts() []specs.Mount {
	return []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}},
		// The only writable place, as a pod with readOnlyRootFilesystem and
		// an emptyDir at /tmp would have.
		{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "mode=1777", "size=65536k"}},
	}
}
