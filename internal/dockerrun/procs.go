package dockerrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Process is one process of a container, read from the host's /proc.
type Process struct {
	PID   int    // in the host's PID namespace
	PPID  int    // parent, in the host's PID namespace
	NSPID int    // in the container's PID namespace (1 = its init)
	State byte   // R, S, D, Z...
	Comm  string // the kernel's name for it (kept for zombies)
	Args  []string
}

func (p Process) String() string {
	return fmt.Sprintf("pid %d (host %d, parent %d) %c %s %q", p.NSPID, p.PID, p.PPID, p.State, p.Comm, p.Args)
}

// Processes lists the processes in the container's PID namespace. It reads
// the host's /proc, so it needs root and nothing from the image (which has
// no ps, often not even a shell).
func (c *Container) Processes(ctx context.Context) ([]Process, error) {
	st, err := c.State(ctx)
	if err != nil {
		return nil, err
	}
	if !st.Running || st.Pid <= 0 {
		return nil, fmt.Errorf("container %s is not running (%s)", c.Name, st.Status)
	}
	return ProcessesInNamespaceOf("/proc", st.Pid)
}

// Zombies lists the exited, unreaped processes of the container's own
// process tree: zombies whose parent is in the container. The health probes
// Docker execs into the container are children of the runtime's shim, which
// reaps them; they are left out so a probe caught between exit and reaping
// is not counted.
func (c *Container) Zombies(ctx context.Context) ([]Process, error) {
	procs, err := c.Processes(ctx)
	if err != nil {
		return nil, err
	}
	return Zombies(procs), nil
}

// Zombies picks the zombies of a container's own tree from its processes.
func Zombies(procs []Process) []Process {
	inside := map[int]bool{}
	for _, p := range procs {
		inside[p.PID] = true
	}
	var out []Process
	for _, p := range procs {
		if p.State == 'Z' && inside[p.PPID] {
			out = append(out, p)
		}
	}
	return out
}

// ProcessesInNamespaceOf lists the processes under procRoot that share the
// PID namespace of process pid.
func ProcessesInNamespaceOf(procRoot string, pid int) ([]Process, error) {
	ns, err := os.Readlink(filepath.Join(procRoot, strconv.Itoa(pid), "ns", "pid"))
	if err != nil {
		return nil, fmt.Errorf("pid namespace of %d: %w", pid, err)
	}
	entries, err := os.ReadDir(procRoot)
	if err != nil {
		return nil, err
	}
	var out []Process
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil || !e.IsDir() {
			continue
		}
		dir := filepath.Join(procRoot, e.Name())
		if l, err := os.Readlink(filepath.Join(dir, "ns", "pid")); err != nil || l != ns {
			continue // another namespace, or the process is gone
		}
		p, err := readProcess(dir, n)
		if errors.Is(err, fs.ErrNotExist) {
			continue // exited (and was reaped) while listing
		}
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func readProcess(dir string, pid int) (Process, error) {
	p := Process{PID: pid}
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return p, err
	}
	if err := parseStat(string(stat), &p); err != nil {
		return p, fmt.Errorf("%s/stat: %w", dir, err)
	}
	status, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		return p, err
	}
	p.NSPID = nsPID(string(status))
	cmdline, err := os.ReadFile(filepath.Join(dir, "cmdline"))
	if err != nil {
		return p, err
	}
	if cmdline = bytes.TrimRight(cmdline, "\x00"); len(cmdline) > 0 {
		p.Args = strings.Split(string(cmdline), "\x00")
	}
	return p, nil
}

// parseStat reads "pid (comm) state ppid ..."; comm may itself hold spaces
// and parentheses, so it ends at the last ')'.
func parseStat(s string, p *Process) error {
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return errors.New("no (comm)")
	}
	p.Comm = s[open+1 : end]
	f := strings.Fields(s[end+1:])
	if len(f) < 2 || len(f[0]) != 1 {
		return errors.New("no state and ppid")
	}
	p.State = f[0][0]
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return fmt.Errorf("ppid %q: %w", f[1], err)
	}
	p.PPID = ppid
	return nil
}

// nsPID is the innermost pid of the "NSpid:" line (0 when absent).
func nsPID(status string) int {
	for _, l := range strings.Split(status, "\n") {
		if rest, ok := strings.CutPrefix(l, "NSpid:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.Atoi(f[len(f)-1])
				return n
			}
		}
	}
	return 0
}
