package lang

import (
	"errors"
	"io/fs"
	"path"
	"slices"
)

// Candidate is an app safe init can set up: the directory its spec goes to
// (the build context, relative to the directory looked at) and the app.
type Candidate struct {
	// ID names the candidate for --app: the app's directory, its module
	// or binary, prefixed with its language where two would be named alike.
	ID  string
	Dir string
	App *App
}

// maxCandidateDepth is how far below the directory looked at init looks
// for projects when it holds none itself (a monorepo of services).
const maxCandidateDepth = 2

// Candidates finds the apps in the directory fsys, named name: the apps every
// language detects there, else those in its subdirectories, down to
// maxCandidateDepth. errs are the projects found that cannot be set up
// (a Gradle build), each saying why.
func Candidates(fsys fs.FS, name string) (out []Candidate, errs []error) {
	out, errs = candidatesIn(fsys, ".", name, 0)
	ids := map[string]int{}
	for _, c := range out {
		ids[c.ID]++
	}
	for i, c := range out {
		if ids[c.ID] > 1 {
			out[i].ID = c.App.Spec.Language + ":" + c.ID
		}
	}
	return out, errs
}

func candidatesIn(fsys fs.FS, dir, name string, depth int) ([]Candidate, []error) {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		return nil, nil
	}
	var out []Candidate
	var errs []error
	p := &Project{FS: sub, Name: name}
	for _, d := range Detectors() {
		apps, err := d.Detect(p)
		if err != nil {
			errs = append(errs, prefixed(dir, err))
		}
		for _, a := range apps {
			out = append(out, Candidate{ID: path.Join(dir, a.ID), Dir: dir, App: a})
		}
	}
	// A project here that cannot be set up (a root package.json of tools
	// alone) does not stop the search below it.
	if len(out) > 0 || depth >= maxCandidateDepth {
		return out, errs
	}
	entries, _ := fs.ReadDir(fsys, dir)
	for _, e := range entries {
		if !e.IsDir() || skipDir(e.Name()) {
			continue
		}
		c, es := candidatesIn(fsys, path.Join(dir, e.Name()), e.Name(), depth+1)
		out, errs = append(out, c...), append(errs, es...)
	}
	return out, errs
}

// prefixed names the directory a project error is about.
func prefixed(dir string, err error) error {
	if dir == "." {
		return err
	}
	var ns *NotSupported
	if errors.As(err, &ns) {
		return &NotSupported{Msg: dir + "/" + ns.Msg}
	}
	return errors.New(dir + "/" + err.Error())
}

// Find is the candidate --app names, by ID or by directory.
func Find(cs []Candidate, id string) (Candidate, bool) {
	if i := slices.IndexFunc(cs, func(c Candidate) bool { return c.ID == id }); i >= 0 {
		return cs[i], true
	}
	id = path.Clean(id)
	var byDir []Candidate
	for _, c := range cs {
		if c.Dir == id || path.Join(c.Dir, c.App.ID) == id {
			byDir = append(byDir, c)
		}
	}
	if len(byDir) == 1 {
		return byDir[0], true
	}
	return Candidate{}, false
}
