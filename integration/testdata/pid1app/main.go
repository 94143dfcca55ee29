// Command pid1app is a test fixture for what PID 1 owes a container. It is an
// HTTP server that, like many real programs, installs no SIGTERM handler and
// leaves orphans behind:
//
//   - SIGTERM keeps the kernel's default action, so it ends the process only
//     when it is not PID 1 (the kernel ignores default-action signals sent to
//     the init of a PID namespace);
//   - at start it runs a child that starts a grandchild and exits at once; the
//     grandchild is re-parented to PID 1 and, when it exits, stays a zombie
//     unless PID 1 reaps it.
//
// Under an init (tini) the container stops at once and leaves no zombie; run
// as PID 1 itself it ignores `docker stop` until SIGKILL and keeps the zombie.
//
// It is one static binary that re-executes itself for its other roles, so the
// image needs no shell:
//
//	pid1app [-listen=:18473] [-orphan-life=300ms]   the server
//	pid1app child DURATION                          starts the grandchild, exits
//	pid1app grandchild DURATION                     sleeps, exits
//	pid1app probe URL                               exit 0 when URL answers 2xx
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"
	"unsafe"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "child":
			os.Exit(child(os.Args[2:]))
		case "grandchild":
			os.Exit(grandchild(os.Args[2:]))
		case "probe":
			os.Exit(probe(os.Args[2:]))
		}
	}
	os.Exit(serve(os.Args[1:]))
}

// defaultSIGTERM gives SIGTERM back to the kernel. The Go runtime installs
// its own handler for every signal and, as PID 1, exits when its handler
// finds SIGTERM unhandled; a C, Python or Java program without a handler
// leaves the kernel's default instead. An all-zero sigaction is SIG_DFL
// with no flags and an empty mask on every Linux architecture.
func defaultSIGTERM() error {
	var act [4]uintptr // handler, flags, restorer, mask
	_, _, errno := syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(syscall.SIGTERM),
		uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

func serve(args []string) int {
	fs := flag.NewFlagSet("pid1app", flag.ContinueOnError)
	listen := fs.String("listen", ":18473", "address to listen on")
	orphanLife := fs.Duration("orphan-life", 300*time.Millisecond, "how long the orphaned grandchild lives")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := defaultSIGTERM(); err != nil {
		fmt.Fprintln(os.Stderr, "pid1app: restoring the default SIGTERM action:", err)
		return 1
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pid1app:", err)
		return 1
	}
	fmt.Printf("pid1app: pid %d, listening on %s\n", os.Getpid(), *listen)
	c := exec.Command(self, "child", orphanLife.String())
	c.Stdout, c.Stderr = os.Stdout, os.Stderr
	// The child is ours: waiting for it reaps it. Its own child is not.
	if err := c.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "pid1app: child:", err)
		return 1
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, "pid1app:", err)
		return 1
	}
	return 0
}

func child(args []string) int {
	if len(args) != 1 {
		return 2
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pid1app child:", err)
		return 1
	}
	g := exec.Command(self, "grandchild", args[0])
	g.Stdout, g.Stderr = os.Stdout, os.Stderr
	if err := g.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "pid1app child:", err)
		return 1
	}
	fmt.Printf("pid1app: orphan %d lives %s\n", g.Process.Pid, args[0])
	// Exit without waiting: the grandchild is re-parented to PID 1.
	return 0
}

func grandchild(args []string) int {
	if len(args) != 1 {
		return 2
	}
	d, err := time.ParseDuration(args[0])
	if err != nil {
		return 2
	}
	time.Sleep(d)
	return 0
}

func probe(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: pid1app probe URL")
		return 2
	}
	client := &http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get(args[0])
	if err != nil {
		fmt.Println(err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		fmt.Println(resp.Status)
		return 1
	}
	return 0
}
