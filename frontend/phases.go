package frontend

import (
	"fmt"
	"os"
	"time"
)

// timingsEnv, when set in the frontend's environment, makes it print how
// long each phase of a build took to stderr (buildkitd's log for a gateway
// image): a fixed cost on no-change rebuilds is found phase by phase.
const timingsEnv = "SAFE_FRONTEND_TIMINGS"

// phaseTimer logs phase durations; nil (timings off) does nothing.
type phaseTimer struct {
	start, last time.Time
}

func newPhaseTimer() *phaseTimer {
	if os.Getenv(timingsEnv) == "" {
		return nil
	}
	now := time.Now()
	return &phaseTimer{start: now, last: now}
}

// mark logs the time since the previous mark under name.
func (p *phaseTimer) mark(name string) {
	if p == nil {
		return
	}
	now := time.Now()
	fmt.Fprintf(os.Stderr, "safe-frontend: %-28s %6.1f ms (at %6.1f ms)\n", name, float64(now.Sub(p.last).Microseconds())/1000, float64(now.Sub(p.start).Microseconds())/1000)
	p.last = now
}
