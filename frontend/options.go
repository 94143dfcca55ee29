package frontend

import (
	"strconv"
	"time"

	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/pkg/errors"
)

// Build args that carry code provenance when the client sends no vcs: opts.
const (
	argRevision = "VCS_REVISION"
	argSource   = "VCS_SOURCE"
	argEpoch    = "SOURCE_DATE_EPOCH"
)

type options struct {
	revision string
	source   string
	epoch    time.Time
}

// readOptions reads what the image records about its origin. Without
// SOURCE_DATE_EPOCH the epoch is 0, not the wall clock: the same inputs must
// give the same digest.
func readOptions(bc *dockerui.Client) (options, error) {
	o := options{epoch: time.Unix(0, 0).UTC()}
	attrs := bc.BuildOpts().Opts
	o.revision = first(attrs["vcs:revision"], bc.BuildArgs[argRevision])
	o.source = first(attrs["vcs:source"], bc.BuildArgs[argSource])
	if v := bc.BuildArgs[argEpoch]; v != "" {
		sec, err := strconv.ParseInt(v, 10, 64)
		if err != nil || sec < 0 {
			return o, errors.Errorf("SOURCE_DATE_EPOCH=%q is not a non-negative number of seconds since 1970", v)
		}
		o.epoch = time.Unix(sec, 0).UTC()
	}
	return o, nil
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
