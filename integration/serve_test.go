package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/org/safe-frontend/internal/hardened"
)

// serveOpts describe one app image served hardened under runc.
type serveOpts struct {
	name string   // container ID prefix; says which app in messages
	args []string // replace the image Cmd: tell the app to listen on addr
	addr string   // host:port the app listens on
	// health answers 200 with a body holding healthHas (default "ok")
	// once the app serves; default /healthz. healthBody, when set, is the
	// exact body wanted.
	health, healthBody, healthHas string
	// start is how long the app may take to answer; default 30s.
	start time.Duration
	// stopWithin is how long the app may take to exit after SIGTERM
	// (default 5s); exitCodes are the statuses accepted (default 0: a
	// graceful stop).
	stopWithin time.Duration
	exitCodes  []int
	// jsonLogs: every stdout line must be a JSON object.
	jsonLogs bool
	// uid is the user / must report ("uid" in its JSON); "" skips the
	// check (apps without such a page).
	uid string
}

// served is an app serving hardened, as serveHardened started it.
type served struct {
	t    *testing.T
	addr string
	ctr  *hardened.Container
}

// get fetches path from the serving app once and requires 200.
func (s *served) get(path string) string {
	s.t.Helper()
	return waitHTTP(s.t, "http://"+s.addr+path, 0, s.ctr)
}

// logLine is one JSON log line; the fields the apps share are named.
type logLine struct {
	Msg, Level, Signal, Env string
	raw                     string
}

// serveHardened runs ociTar under runc as its numeric user with a read-only
// root, no capabilities and no-new-privileges; waits until the health path
// answers (failing with the app's logs if it exits first); checks that /
// reports the uid; runs check against the serving app; then sends SIGTERM
// and requires an accepted exit status within stopWithin. It returns the
// app's stdout and, with jsonLogs, its lines decoded.
func serveHardened(t *testing.T, ociTar string, o serveOpts, check func(s *served)) ([]byte, []logLine) {
	t.Helper()
	if o.health == "" {
		o.health = "/healthz"
	}
	if o.healthHas == "" {
		o.healthHas = "ok"
	}
	if o.start == 0 {
		o.start = 30 * time.Second
	}
	if o.stopWithin == 0 {
		o.stopWithin = 5 * time.Second
	}
	if len(o.exitCodes) == 0 {
		o.exitCodes = []int{0}
	}
	ctx := testContext(t)
	ctr, err := hardened.Run(ctx, hardened.Options{
		Image:    ociTar,
		Args:     o.args,
		StateDir: t.TempDir(),
		ID:       fmt.Sprintf("%s-%d", o.name, time.Now().UnixNano()),
	})
	if err != nil {
		t.Fatalf("running %s hardened: %v", o.name, err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_, _ = ctr.Stop(context.WithoutCancel(ctx), 5*time.Second)
		}
	}()
	s := &served{t: t, addr: o.addr, ctr: ctr}
	body := waitHTTP(t, "http://"+o.addr+o.health, o.start, ctr)
	if o.healthBody != "" && body != o.healthBody {
		t.Fatalf("%s %s = %q, want %q", o.name, o.health, body, o.healthBody)
	} else if !strings.Contains(body, o.healthHas) {
		t.Fatalf("%s %s = %q, want %s", o.name, o.health, body, o.healthHas)
	}
	if o.uid != "" {
		var hello map[string]any
		if page := s.get("/"); json.Unmarshal([]byte(page), &hello) != nil {
			t.Fatalf("%s / = %q, want JSON that reports the uid", o.name, page)
		} else if hello["uid"] != o.uid {
			t.Fatalf("%s runs as uid %v, want %s", o.name, hello["uid"], o.uid)
		}
	}
	if check != nil {
		check(s)
	}

	start := time.Now()
	code, err := ctr.Stop(ctx, o.stopWithin+10*time.Second)
	took := time.Since(start)
	stopped = true
	stdout, stderr, _ := ctr.Logs()
	if err != nil || !slices.Contains(o.exitCodes, code) {
		t.Fatalf("%s after SIGTERM: exit %d, %v; want %v\n%s", o.name, code, err, o.exitCodes, tail(string(stdout)+string(stderr), 3000))
	}
	t.Logf("figure: %s (runc) exit %d %s after SIGTERM", o.name, code, took.Round(time.Millisecond))
	if took > o.stopWithin {
		t.Errorf("%s took %s to stop after SIGTERM, want under %s", o.name, took.Round(time.Millisecond), o.stopWithin)
	}
	if !o.jsonLogs {
		return stdout, nil
	}
	var lines []logLine
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	for sc.Scan() {
		var l logLine
		if !strings.HasPrefix(sc.Text(), "{") || json.Unmarshal(sc.Bytes(), &l) != nil {
			t.Errorf("%s log line is not JSON: %q", o.name, sc.Text())
			continue
		}
		l.raw = sc.Text()
		lines = append(lines, l)
	}
	return stdout, lines
}

// msgs lists the messages of log lines.
func msgs(lines []logLine) []string {
	var out []string
	for _, l := range lines {
		out = append(out, l.Msg)
	}
	return out
}

// waitHTTP GETs url until it answers 200 and returns the body: for wait, or
// once when wait is 0. An answer other than 200 fails at once; so does the
// container ctr (when not nil) exiting first, with its logs.
func waitHTTP(t *testing.T, url string, wait time.Duration, ctr *hardened.Container) string {
	t.Helper()
	logs := func() string {
		if ctr == nil {
			return ""
		}
		o, e, _ := ctr.Logs()
		return "\n" + tail(string(o)+string(e), 3000)
	}
	deadline := time.Now().Add(wait)
	for {
		resp, err := http.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %s %q", url, resp.Status, body)
			}
			return string(body)
		}
		if ctr != nil {
			select {
			case <-ctr.Done():
				t.Fatalf("the app exited before answering GET %s:%s", url, logs())
			default:
			}
		}
		if !time.Now().Before(deadline) {
			t.Fatalf("GET %s never answered: %v%s", url, err, logs())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// listenOpts serve an example app that takes --listen=ADDR and reports its
// uid on /, as the frontend's default user.
func listenOpts(name, addr string) serveOpts {
	return serveOpts{name: name, args: []string{"--listen=" + addr}, addr: addr, uid: "65532"}
}
