package policy

import (
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/org/safe-frontend/llbgen"
	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

// Runtime defaults, shared with llbgen (HEALTHCHECK) and the manifests
// (probes, grace period), so the image and the pod agree.
const (
	DefaultHealthInterval      = llbgen.DefaultHealthInterval
	DefaultHealthTimeout       = llbgen.DefaultHealthTimeout
	DefaultHealthStartPeriod   = llbgen.DefaultHealthStartPeriod
	DefaultHealthStartInterval = llbgen.DefaultHealthStartInterval
	DefaultHealthRetries       = llbgen.DefaultHealthRetries
	DefaultStopGracePeriod     = 30 * time.Second
	// DrainDelay is the preStop sleep that lets load balancers stop
	// sending traffic before the app sees SIGTERM.
	DrainDelay = 5 * time.Second
)

// quantityRe is the Kubernetes resource quantity syntax (decimal SI or
// binary suffixes, or a plain number); exponents are not worth supporting.
var quantityRe = regexp.MustCompile(`^([0-9]+(\.[0-9]+)?|\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$`)

// duration parses a spec duration; ok is false (and a finding is added
// under rule id) when it is malformed or not positive.
func (c *checker) duration(id, p, v string) (time.Duration, bool) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		c.add(id, p, "%s %q is not a positive duration; write it like 10s, 500ms or 1m30s", strings.ReplaceAll(p, "/", "."), v)
		return 0, false
	}
	if id == rules.InvalidHealth && d < time.Millisecond {
		// Docker refuses to create a container with a health timing under 1ms.
		c.add(id, p, "%s %q is shorter than 1ms, which Docker refuses; write e.g. 1s", strings.ReplaceAll(p, "/", "."), v)
		return 0, false
	}
	if d%time.Second != 0 && id != rules.InvalidHealth {
		c.add(id, p, "%s %q is not whole seconds; Kubernetes counts it in seconds, write e.g. %ds", strings.ReplaceAll(p, "/", "."), v, int(d.Round(time.Second)/time.Second))
		return 0, false
	}
	return d, true
}

// checkRuntime covers what the image and the manifests need at run time:
// the init, the probe timings, the grace period, resources and writable paths.
func (c *checker) checkRuntime() {
	r := &c.s.Run
	if r.Init != nil && !*r.Init {
		c.add(rules.NoInit, "run/init", "run.init is false: the app runs as PID 1, where it gets no default signal handling and orphaned children become zombies; keep the init, or exempt SF207 with a reason")
	}
	if r.SignalGroup && r.Init != nil && !*r.Init {
		c.add(rules.ConflictingKey, "run/signalGroup", "run.signalGroup asks the init to signal the app's process group, but run.init is false; remove one of them")
	}
	c.checkHealthTimings()

	grace := DefaultStopGracePeriod
	if c.present("run/stopGracePeriod", r.StopGracePeriod != "") {
		d, ok := c.duration(rules.InvalidValue, "run/stopGracePeriod", r.StopGracePeriod)
		if !ok {
			return
		}
		grace = d
	}
	need := DrainDelay + time.Second
	why := "the drain delay (" + DrainDelay.String() + ") and at least 1s to stop"
	if c.present("run/shutdownTimeout", r.ShutdownTimeout != "") {
		d, ok := c.duration(rules.InvalidValue, "run/shutdownTimeout", r.ShutdownTimeout)
		if !ok {
			return
		}
		need = DrainDelay + d
		why = "the drain delay (" + DrainDelay.String() + ") plus run.shutdownTimeout (" + d.String() + ")"
	}
	if grace < need {
		p := "run/stopGracePeriod"
		if !c.present(p, r.StopGracePeriod != "") {
			p = "run/shutdownTimeout"
		}
		c.add(rules.ShortGrace, p, "run.stopGracePeriod %s is shorter than %s; the app would be killed mid-shutdown, set run.stopGracePeriod to at least %s", grace, why, need)
	}
}

func (c *checker) checkHealthTimings() {
	h := c.s.Run.Health
	if h == nil {
		return
	}
	interval := DefaultHealthInterval
	if c.present("run/health/interval", h.Interval != "") {
		if d, ok := c.duration(rules.InvalidHealth, "run/health/interval", h.Interval); ok {
			interval = d
		}
	}
	if c.present("run/health/timeout", h.Timeout != "") {
		if d, ok := c.duration(rules.InvalidHealth, "run/health/timeout", h.Timeout); ok && d > interval {
			c.add(rules.InvalidHealth, "run/health/timeout", "run.health.timeout %s is longer than the interval %s; probes would overlap, shorten the timeout", d, interval)
		}
	}
	if c.present("run/health/startPeriod", h.StartPeriod != "") {
		c.duration(rules.InvalidHealth, "run/health/startPeriod", h.StartPeriod)
	}
	if c.present("run/health/startInterval", h.StartInterval != "") {
		if d, ok := c.duration(rules.InvalidHealth, "run/health/startInterval", h.StartInterval); ok && d > interval {
			c.add(rules.InvalidHealth, "run/health/startInterval", "run.health.startInterval %s is longer than the interval %s; probing less often while the app starts only delays its first healthy status, shorten it (default %s)", d, interval, DefaultHealthStartInterval)
		}
	}
	if c.present("run/health/retries", h.Retries != 0) && (h.Retries < 1 || h.Retries > 100) {
		c.add(rules.InvalidHealth, "run/health/retries", "run.health.retries %d is out of range; use 1-100 consecutive failures (default %d)", h.Retries, DefaultHealthRetries)
	}
}

// checkResources and checkWritable are part of the manifests' contract.
func (c *checker) checkResources() {
	res := c.s.Run.Resources
	if res == nil {
		// Only servers get the warning, and not on top of a bad port.
		if p := c.s.Run.Port; p >= 1 && p <= 65535 && !c.src.Has("run/resources") {
			c.add(rules.NoResources, "run", "run.resources is not set: the pod would get no CPU or memory request and no memory limit; add e.g. resources: {cpu: 250m, memory: 256Mi}")
		}
		return
	}
	for _, q := range []struct{ key, v, eg string }{{"cpu", res.CPU, "250m"}, {"memory", res.Memory, "256Mi"}} {
		p := "run/resources/" + q.key
		if !c.present(p, q.v != "") {
			c.add(rules.NoResources, "run/resources", "run.resources.%s is not set; add it, e.g. %s: %s", q.key, q.key, q.eg)
			continue
		}
		if !quantityRe.MatchString(q.v) || zeroQuantity(q.v) {
			c.add(rules.InvalidValue, p, "run.resources.%s %q is not a positive Kubernetes quantity; write e.g. %s", q.key, q.v, q.eg)
		}
	}
}

func zeroQuantity(v string) bool {
	for _, r := range v {
		if r >= '1' && r <= '9' {
			return false
		}
		if r != '0' && r != '.' {
			break
		}
	}
	return true
}

func (c *checker) checkWritable() {
	seen := map[string]bool{}
	for i, w := range c.s.Run.Writable {
		p := spec.Path("run/writable", i)
		switch {
		case !path.IsAbs(w):
			c.add(rules.DestNotAbsolute, p, "run.writable[%d] %q is not absolute; write the full path the app writes to, e.g. /tmp", i, w)
		case path.Clean(w) != w:
			c.add(rules.DestNotAbsolute, p, "run.writable[%d] %q is not a clean path; write %q", i, w, path.Clean(w))
		case w == "/":
			c.add(rules.DestNotAbsolute, p, "run.writable[%d] is the image root; the root filesystem stays read-only, list the directories the app writes to", i)
		case seen[w]:
			c.add(rules.InvalidValue, p, "run.writable[%d] %q is listed twice", i, w)
		}
		seen[w] = true
	}
}
