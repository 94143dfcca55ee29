// Package plan describes a build as data: the stages a language builds in,
// their steps, and the layers and settings of the final image. A plan names
// no LLB type; the frontend renders it to LLB (package llbgen) and
// `safe eject` to a Dockerfile (package render/dockerfile), so both say the
// same thing. Its text form (Text) is what `safe plan` prints and what the
// golden files hold.
package plan

import (
	"encoding/json"
	"fmt"
	"os"
	"unicode/utf8"
)

// Plan is a language's build of one app.
type Plan struct {
	// Language prefixes progress names: "[go 2/4] go mod download".
	Language string `json:"language"`
	// Steps is how many numbered steps the build has (the 4 of "2/4").
	Steps int `json:"steps"`
	// Stages in the order they are written out; a stage may use only the
	// stages before it.
	Stages []Stage `json:"stages"`
	// Final is what the final image takes from the stages and runs.
	Final Final `json:"final"`
}

// Ref names a filesystem: a base image by role, the build context, an
// earlier stage, a download, or (the zero Ref) an empty one.
type Ref struct {
	Base    string `json:"base,omitempty"`  // a base image's role: "builder"
	Stage   string `json:"stage,omitempty"` // an earlier stage's name
	Context bool   `json:"context,omitempty"`
	// URL is a file downloaded as /download, checked against SHA256.
	URL    string `json:"url,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
}

// Builder is the language's builder image; Context is the build context;
// Scratch is an empty filesystem.
var (
	Builder = Ref{Base: "builder"}
	Context = Ref{Context: true}
	Scratch = Ref{}
)

// Runtime is the frontend's runtime image (init, probe, static server)
// for the target platform; Tools is the same image for the build
// platform, whose programs build steps run (a language that uses them
// says so: lang.RuntimeUser).
var (
	Runtime = Ref{Base: "runtime"}
	Tools   = Ref{Base: "tools"}
)

// StageRef refers to an earlier stage.
func StageRef(name string) Ref { return Ref{Stage: name} }

func (r Ref) String() string {
	switch {
	case r.Base != "":
		return r.Base
	case r.Stage != "":
		return "stage " + r.Stage
	case r.Context:
		return "context"
	case r.URL != "":
		return r.URL
	}
	return "scratch"
}

// Stage is a filesystem made from another by steps in order.
type Stage struct {
	Name  string `json:"name"`
	From  Ref    `json:"from"`
	Steps []Step `json:"steps"`
	// Output, when set, is a directory the last step writes into an empty
	// mount: the stage's result is that directory's content alone, not its
	// root (a tool compiled once and mounted by later steps).
	Output string `json:"output,omitempty"`
}

// Step is one step of a stage: file actions or a command.
type Step struct {
	// N is the step's number in progress output (1..Plan.Steps); steps
	// that share a number show as one.
	N    int    `json:"n"`
	Name string `json:"name"`
	// Why says what the step is for (a comment in an ejected Dockerfile).
	Why string `json:"why,omitempty"`
	// SpecPath is the spec key a failure of the step points at.
	SpecPath string       `json:"specPath,omitempty"`
	Files    []FileAction `json:"files,omitempty"`
	Run      *Run         `json:"run,omitempty"`
}

// FileAction is one of mkdir, mkfile, copy or rm.
type FileAction struct {
	Mkdir  *Mkdir  `json:"mkdir,omitempty"`
	Mkfile *Mkfile `json:"mkfile,omitempty"`
	Copy   *Copy   `json:"copy,omitempty"`
	Rm     *Rm     `json:"rm,omitempty"`
}

// Mkdir makes a directory (and its parents, with Parents).
type Mkdir struct {
	Path    string      `json:"path"`
	Mode    os.FileMode `json:"mode"`
	Parents bool        `json:"parents,omitempty"`
}

// Mkfile writes a file the plan holds.
type Mkfile struct {
	Path string      `json:"path"`
	Mode os.FileMode `json:"mode"`
	Data string      `json:"data"`
}

// Rm removes a path.
type Rm struct {
	Path          string `json:"path"`
	AllowNotFound bool   `json:"allowNotFound,omitempty"`
}

// Copy copies from a filesystem into the stage.
type Copy struct {
	From Ref    `json:"from"`
	Src  string `json:"src"`
	Dest string `json:"dest"`
	// Contents copies what the directory Src holds into Dest.
	Contents bool `json:"contents,omitempty"`
	// Wildcard: Src is a pattern; AllowEmpty: it may match nothing.
	Wildcard   bool     `json:"wildcard,omitempty"`
	AllowEmpty bool     `json:"allowEmpty,omitempty"`
	Include    []string `json:"include,omitempty"`
	Exclude    []string `json:"exclude,omitempty"`
	// CreateDest makes Dest's parent directories.
	CreateDest bool `json:"createDest,omitempty"`
	// Mode, when not 0, is every copied file's mode.
	Mode os.FileMode `json:"mode,omitempty"`
}

// Run runs a command in the stage.
type Run struct {
	Args []string `json:"args"`
	Dir  string   `json:"dir,omitempty"`
	// Env is the step's own environment ("K=V", in order); with BuildArgs
	// the build's arguments follow it.
	Env       []string `json:"env,omitempty"`
	BuildArgs bool     `json:"buildArgs,omitempty"`
	// ArgsFirst puts the build's arguments before Env instead, so the
	// step's own variables win over them (a tool's settings that a build
	// arg must not undo).
	ArgsFirst bool    `json:"argsFirst,omitempty"`
	Mounts    []Mount `json:"mounts,omitempty"`
	// NoShell: the stage's image has no shell (the runtime image), so the
	// command runs as it is, not under the runner; a failure shows the
	// daemon's message and the command's own output.
	NoShell bool `json:"noShell,omitempty"`
}

// Mount is a filesystem the command sees besides the stage's root. Every
// command also gets the build's secrets (the CA bundle) and network.
type Mount struct {
	Target string `json:"target"`
	// Cache is a persistent cache's id: a package manager's downloads.
	Cache string `json:"cache,omitempty"`
	// Locked: one build at a time uses the cache (apt).
	Locked bool `json:"locked,omitempty"`
	// Tmpfs: a scratch space in memory.
	Tmpfs bool `json:"tmpfs,omitempty"`
	// From, for a bind mount: the filesystem mounted read-only.
	From *Ref `json:"from,omitempty"`
	// Output: an empty directory the command fills (see Stage.Output).
	Output bool `json:"output,omitempty"`
}

// Final is what the final image takes from the stages and runs.
type Final struct {
	// Layers are the app's layers, bottom first: what changes least first.
	Layers []Layer `json:"layers"`
	// Entrypoint is the app's exec form (the init goes in front of it).
	Entrypoint []string `json:"entrypoint"`
	WorkingDir string   `json:"workingDir,omitempty"`
	Env        []string `json:"env,omitempty"`
	// SBOM says where in the image its packages are described.
	SBOM []SBOMSource `json:"sbom,omitempty"`
	// StopStatus is the status a clean stop on SIGTERM exits with when
	// not 0 (a JVM: 143); the init reports it as 0.
	StopStatus int `json:"stopStatus,omitempty"`
}

// Layer is one layer of the final image: files from one filesystem.
type Layer struct {
	Name  string     `json:"name"`
	From  Ref        `json:"from"`
	Files []Artifact `json:"files"`
}

// Artifact is a file or directory a layer takes.
type Artifact struct {
	// From, when set, is where this artifact comes from instead of the
	// layer's From (the spec's copies: the context and downloads).
	From *Ref        `json:"from,omitempty"`
	Src  string      `json:"src"`
	Dest string      `json:"dest"`
	Mode os.FileMode `json:"mode,omitempty"` // 0 keeps the source's
	// Dir copies the contents of the directory Src into Dest.
	Dir     bool     `json:"dir,omitempty"`
	Include []string `json:"include,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
	// SpecPath is the spec key that asked for it (a download's failure
	// points there).
	SpecPath string `json:"specPath,omitempty"`
}

// SBOMSource names a place in the final image that describes packages,
// and how to read it.
type SBOMSource struct {
	Kind string `json:"kind"` // "go-binary", "npm-lock", ...
	Path string `json:"path"`
}

// Validate checks what a renderer relies on: stage names unique, each ref
// to a stage that comes before, one kind of action per step, step numbers
// within Steps, an output stage ending with the command that fills it.
func (p *Plan) Validate() error {
	seen := map[string]bool{}
	check := func(where string, r Ref) error {
		if r.Stage != "" && !seen[r.Stage] {
			return fmt.Errorf("%s: stage %q is not defined before it", where, r.Stage)
		}
		return nil
	}
	for _, st := range p.Stages {
		if st.Name == "" || seen[st.Name] {
			return fmt.Errorf("stage %q: names must be unique and not empty", st.Name)
		}
		if err := check("stage "+st.Name, st.From); err != nil {
			return err
		}
		for i, s := range st.Steps {
			if err := s.validate(p.Steps, check); err != nil {
				return fmt.Errorf("stage %s, step %d: %w", st.Name, i+1, err)
			}
		}
		if err := st.validateOutput(); err != nil {
			return err
		}
		seen[st.Name] = true
	}
	for _, l := range p.Final.Layers {
		if err := check("layer "+l.Name, l.From); err != nil {
			return err
		}
	}
	return nil
}

func (s Step) validate(total int, check func(string, Ref) error) error {
	if (s.Run == nil) == (len(s.Files) == 0) {
		return fmt.Errorf("a step is either file actions or a command")
	}
	if s.N < 0 || s.N > total {
		return fmt.Errorf("number %d is outside 0..%d", s.N, total)
	}
	for _, f := range s.Files {
		if f.Copy != nil {
			if err := check("copy "+f.Copy.Src, f.Copy.From); err != nil {
				return err
			}
		}
	}
	if s.Run != nil {
		for _, m := range s.Run.Mounts {
			if m.From != nil {
				if err := check("mount "+m.Target, *m.From); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (st Stage) validateOutput() error {
	if st.Output == "" {
		return nil
	}
	if len(st.Steps) == 0 || st.Steps[len(st.Steps)-1].Run == nil {
		return fmt.Errorf("stage %s: an output stage ends with a command", st.Name)
	}
	for _, m := range st.Steps[len(st.Steps)-1].Run.Mounts {
		if m.Output && m.Target == st.Output {
			return nil
		}
	}
	return fmt.Errorf("stage %s: its last command has no output mount at %s", st.Name, st.Output)
}

// mkfileJSON is Mkfile on the wire: text as it is, other bytes in base64
// (a JSON string holds text only).
type mkfileJSON struct {
	Path       string      `json:"path"`
	Mode       os.FileMode `json:"mode"`
	Data       *string     `json:"data,omitempty"`
	DataBase64 []byte      `json:"dataBase64,omitempty"`
}

func (m Mkfile) MarshalJSON() ([]byte, error) {
	j := mkfileJSON{Path: m.Path, Mode: m.Mode}
	if utf8.ValidString(m.Data) {
		j.Data = &m.Data
	} else {
		j.DataBase64 = []byte(m.Data)
	}
	return json.Marshal(j)
}

func (m *Mkfile) UnmarshalJSON(dt []byte) error {
	var j mkfileJSON
	if err := json.Unmarshal(dt, &j); err != nil {
		return err
	}
	m.Path, m.Mode, m.Data = j.Path, j.Mode, string(j.DataBase64)
	if j.Data != nil {
		m.Data = *j.Data
	}
	return nil
}
