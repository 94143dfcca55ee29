package java

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pkg/errors"

	"github.com/org/safe-frontend/lang"
)

// Limits on the pom.xml files the plan reads. They are far above any real
// project and keep a hostile context from costing memory or time.
const (
	maxPomSize     = 4 << 20
	maxPomDepth    = 48
	maxPomTokens   = 500000
	maxPomModules  = 256
	maxModuleDepth = 3 // directories below the root a module's pom may sit
	maxInterpolate = 16
)

// pomProject is the part of a pom.xml the plan needs. Unknown elements are
// ignored: Maven, not the frontend, is the judge of a project model.
type pomProject struct {
	XMLName    xml.Name      `xml:"project"`
	Parent     *pomParent    `xml:"parent"`
	GroupID    string        `xml:"groupId"`
	ArtifactID string        `xml:"artifactId"`
	Version    string        `xml:"version"`
	Packaging  string        `xml:"packaging"`
	Modules    []string      `xml:"modules>module"`
	Properties pomProperties `xml:"properties"`
	Build      struct {
		FinalName        string      `xml:"finalName"`
		Plugins          []pomPlugin `xml:"plugins>plugin"`
		PluginManagement struct {
			Plugins []pomPlugin `xml:"plugins>plugin"`
		} `xml:"pluginManagement"`
	} `xml:"build"`
}

type pomParent struct {
	GroupID      string  `xml:"groupId"`
	ArtifactID   string  `xml:"artifactId"`
	Version      string  `xml:"version"`
	RelativePath *string `xml:"relativePath"`
}

type pomPlugin struct {
	GroupID       string   `xml:"groupId"`
	ArtifactID    string   `xml:"artifactId"`
	Configuration *xmlNode `xml:"configuration"`
	Executions    []struct {
		Configuration *xmlNode `xml:"configuration"`
	} `xml:"executions>execution"`
}

// xmlNode is a plugin's free-form configuration.
type xmlNode struct {
	XMLName  xml.Name
	Text     string    `xml:",chardata"`
	Children []xmlNode `xml:",any"`
}

// find returns the text of the first element named name at any depth.
func (n *xmlNode) find(name string) string {
	if n == nil {
		return ""
	}
	for i := range n.Children {
		c := &n.Children[i]
		if c.XMLName.Local == name && len(c.Children) == 0 {
			return strings.TrimSpace(c.Text)
		}
		if v := c.find(name); v != "" {
			return v
		}
	}
	return ""
}

// pomProperties is <properties>: any element name to its text.
type pomProperties map[string]string

func (p *pomProperties) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	m := pomProperties{}
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			var v string
			if err := d.DecodeElement(&v, &t); err != nil {
				return err
			}
			m[t.Name.Local] = strings.TrimSpace(v)
		case xml.EndElement:
			*p = m
			return nil
		}
	}
}

// parsePom reads one pom.xml. The content is untrusted: size, nesting and
// token count are bounded before anything is decoded, and a DOCTYPE (which
// no pom needs) is refused.
func parsePom(name string, data []byte) (*pomProject, error) {
	if len(data) > maxPomSize {
		return nil, errors.Errorf("%s is %d bytes, more than the %d MiB a pom.xml may have", name, len(data), maxPomSize>>20)
	}
	if err := checkXMLShape(name, data); err != nil {
		return nil, err
	}
	var p pomProject
	d := newXMLDecoder(data)
	if err := d.Decode(&p); err != nil {
		return nil, errors.Errorf("%s is not a readable pom.xml: %s", name, xmlErr(err))
	}
	if p.XMLName.Local != "project" {
		return nil, errors.Errorf("%s: the root element is <%s>, not <project>", name, lang.Truncate(p.XMLName.Local, 40))
	}
	return &p, nil
}

// checkXMLShape walks the tokens once, bounding depth and count.
func checkXMLShape(name string, data []byte) error {
	d := newXMLDecoder(data)
	depth, n := 0, 0
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			if depth != 0 {
				return errors.Errorf("%s is not a readable pom.xml: it ends inside an element", name)
			}
			return nil
		}
		if err != nil {
			return errors.Errorf("%s is not a readable pom.xml: %s", name, xmlErr(err))
		}
		if n++; n > maxPomTokens {
			return errors.Errorf("%s has more than %d XML tokens; no pom.xml needs that many", name, maxPomTokens)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth++; depth > maxPomDepth {
				line, _ := d.InputPos()
				return errors.Errorf("%s:%d: elements nested more than %d deep; no pom.xml needs that", name, line, maxPomDepth)
			}
		case xml.EndElement:
			depth--
		case xml.Directive:
			if bytes.HasPrefix(bytes.TrimSpace(t), []byte("DOCTYPE")) {
				line, _ := d.InputPos()
				return errors.Errorf("%s:%d: a pom.xml has no DOCTYPE (entity declarations are not read); remove it", name, line)
			}
		}
	}
}

// newXMLDecoder reads UTF-8, and the single-byte encodings older poms
// declare (ISO-8859-1, US-ASCII) as Latin-1.
func newXMLDecoder(data []byte) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "us-ascii", "ascii", "windows-1252", "cp1252":
			return latin1Reader{in}, nil
		}
		return nil, errors.Errorf("the encoding %q is not read; save the pom.xml as UTF-8", lang.Truncate(label, 40))
	}
	return d
}

// latin1Reader turns Latin-1 bytes into UTF-8.
type latin1Reader struct{ r io.Reader }

func (l latin1Reader) Read(p []byte) (int, error) {
	if len(p) < 2 {
		return 0, io.ErrShortBuffer
	}
	buf := make([]byte, len(p)/2)
	n, err := l.r.Read(buf)
	out := p[:0]
	for _, b := range buf[:n] {
		if b < 0x80 {
			out = append(out, b)
		} else {
			out = append(out, 0xc0|b>>6, 0x80|b&0x3f)
		}
	}
	return len(out), err
}

func xmlErr(err error) string {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("line %d: %s", se.Line, lang.Truncate(se.Msg, 200))
	}
	return lang.Truncate(err.Error(), 200)
}

// mavenModule is one project of the reactor.
type mavenModule struct {
	Dir        string // relative to the context, "." for the root
	Pom        string // Dir + "/pom.xml"
	GroupID    string
	ArtifactID string
	Version    string
	Packaging  string
	FinalName  string // "" when it is the default or cannot be resolved
	MainClass  string // "" when no plugin or property names one
	Release    int    // maven.compiler.release (or source/target), 0 if unknown
	Modules    []string
	project    *pomProject
	parent     *mavenModule // within the reactor, nil otherwise
}

// mavenReactor is the project tree the plan builds from.
type mavenReactor struct {
	Root    *mavenModule
	Modules []*mavenModule // the root first, then in the order Maven lists them
}

// readReactor reads the root pom.xml and, recursively, the modules it
// lists, with their parents inside the context.
func readReactor(files map[string][]byte) (*mavenReactor, error) {
	rd := &reactorReader{files: files, byPom: map[string]*mavenModule{}}
	root, err := rd.read(".", "")
	if err != nil {
		return nil, err
	}
	rd.r.Root = root
	if err := rd.linkParents(); err != nil {
		return nil, err
	}
	for _, m := range rd.r.Modules {
		if err := m.resolve(); err != nil {
			return nil, err
		}
	}
	return &rd.r, nil
}

// reactorReader reads the poms of one reactor.
type reactorReader struct {
	files map[string][]byte
	r     mavenReactor
	// byPom holds the modules read, by pom path; nil while a module's own
	// modules are read (one seen again then is a cycle).
	byPom map[string]*mavenModule
}

// read reads the module in dir, which from lists, and its modules.
func (rd *reactorReader) read(dir, from string) (*mavenModule, error) {
	pomPath := path.Join(dir, "pom.xml")
	if m, ok := rd.byPom[pomPath]; ok {
		if m == nil {
			return nil, errors.Errorf("%s lists module %q, which lists it back: the modules form a cycle", from, dir)
		}
		return m, nil
	}
	if len(rd.byPom) >= maxPomModules {
		return nil, errors.Errorf("the build has more than %d modules; the frontend reads at most that many", maxPomModules)
	}
	data, ok := rd.files[pomPath]
	if !ok {
		if dir == "." {
			return nil, errMissingPom
		}
		return nil, errors.Errorf("%s lists module %q, but %s is not in the build context (is it in .dockerignore, or more than %d directories deep?)", from, dir, pomPath, maxModuleDepth)
	}
	rd.byPom[pomPath] = nil
	p, err := parsePom(pomPath, data)
	if err != nil {
		return nil, err
	}
	m := &mavenModule{Dir: dir, Pom: pomPath, project: p}
	rd.r.Modules = append(rd.r.Modules, m)
	for _, mod := range p.Modules {
		mod = strings.TrimSpace(mod)
		c, ok := lang.CleanRel(path.Join(dir, strings.TrimSuffix(mod, "/pom.xml")))
		if mod == "" || !ok || c == "." || strings.Contains(mod, "${") {
			return nil, errors.Errorf("%s: module %q must be a directory inside the build context, written literally", pomPath, lang.Truncate(mod, 80))
		}
		if strings.Count(c, "/")+1 > maxModuleDepth {
			return nil, errors.Errorf("%s: module %q is more than %d directories below the root; the frontend reads poms up to that depth", pomPath, lang.Truncate(mod, 80), maxModuleDepth)
		}
		child, err := rd.read(c, pomPath)
		if err != nil {
			return nil, err
		}
		m.Modules = append(m.Modules, child.Dir)
	}
	rd.byPom[pomPath] = m
	return m, nil
}

// linkParents links each module to its parent inside the context: the
// relativePath (default ../pom.xml) when it holds the named parent.
func (rd *reactorReader) linkParents() error {
	for _, m := range rd.r.Modules {
		pp := m.project.Parent
		if pp == nil {
			continue
		}
		rel := "../pom.xml"
		if pp.RelativePath != nil {
			rel = strings.TrimSpace(*pp.RelativePath)
		}
		if rel == "" {
			continue
		}
		if !strings.HasSuffix(rel, ".xml") {
			rel = path.Join(rel, "pom.xml")
		}
		c, ok := lang.CleanRel(path.Join(m.Dir, rel))
		if !ok {
			continue // a parent outside the context comes from a repository
		}
		par, err := rd.parent(c)
		if err != nil {
			return err
		}
		if par != nil && strings.TrimSpace(par.project.ArtifactID) == strings.TrimSpace(pp.ArtifactID) {
			m.parent = par
		}
	}
	return nil
}

// parent is the pom at c: a module of the reactor, or a pom in the
// context outside it (read once); nil when the context has none.
func (rd *reactorReader) parent(c string) (*mavenModule, error) {
	if par := rd.byPom[c]; par != nil {
		return par, nil
	}
	data, ok := rd.files[c]
	if !ok {
		return nil, nil
	}
	p, err := parsePom(c, data)
	if err != nil {
		return nil, err
	}
	par := &mavenModule{Dir: path.Dir(c), Pom: c, project: p}
	rd.byPom[c] = par
	return par, nil
}

// errMissingPom is the root pom.xml missing; the caller names the rule.
var errMissingPom = errors.New("no pom.xml at the root of the build context")

// property looks a property up in the module and its parents, with the
// project.* values Maven defines.
func (m *mavenModule) property(name string) (string, bool) {
	for cur, n := m, 0; cur != nil && n < maxPomModules; cur, n = cur.parent, n+1 {
		if v, ok := cur.project.Properties[name]; ok {
			return v, true
		}
	}
	switch name {
	case "project.groupId", "pom.groupId":
		return m.GroupID, m.GroupID != ""
	case "project.artifactId", "pom.artifactId":
		return m.ArtifactID, m.ArtifactID != ""
	case "project.version", "pom.version":
		return m.Version, m.Version != ""
	}
	return "", false
}

var propRe = regexp.MustCompile(`\$\{([^${}]{1,200})\}`)

// interpolate expands ${...} references; ok is false when one is left
// (unknown, or nested deeper than Maven projects go).
func (m *mavenModule) interpolate(s string) (string, bool) {
	for i := 0; i < maxInterpolate && strings.Contains(s, "${"); i++ {
		s = propRe.ReplaceAllStringFunc(s, func(ref string) string {
			if v, ok := m.property(ref[2 : len(ref)-1]); ok {
				return v
			}
			return ref
		})
		if len(s) > 4096 {
			return "", false
		}
	}
	return s, !strings.Contains(s, "${")
}

// resolve fills the coordinates, packaging, final name, main class and
// release from the pom and its parents.
func (m *mavenModule) resolve() error {
	p := m.project
	m.ArtifactID = strings.TrimSpace(p.ArtifactID)
	if m.ArtifactID == "" {
		return errors.Errorf("%s has no <artifactId>", m.Pom)
	}
	m.GroupID, m.Version = strings.TrimSpace(p.GroupID), strings.TrimSpace(p.Version)
	if p.Parent != nil {
		if m.GroupID == "" {
			m.GroupID = strings.TrimSpace(p.Parent.GroupID)
		}
		if m.Version == "" {
			m.Version = strings.TrimSpace(p.Parent.Version)
		}
	}
	if v, ok := m.interpolate(m.Version); ok {
		m.Version = v
	}
	if g, ok := m.interpolate(m.GroupID); ok {
		m.GroupID = g
	}
	m.Packaging = strings.TrimSpace(p.Packaging)
	if m.Packaging == "" {
		m.Packaging = "jar"
	}
	if fn := strings.TrimSpace(p.Build.FinalName); fn != "" {
		if v, ok := m.interpolate(fn); ok && v != "" && !strings.ContainsAny(v, "/\\\x00") {
			m.FinalName = v
		}
	}
	m.MainClass = m.findMainClass()
	m.Release = m.findRelease()
	return nil
}

// plugins lists the module's plugins and then its parents', nearest first.
func (m *mavenModule) plugins() []pomPlugin {
	var out []pomPlugin
	for cur, n := m, 0; cur != nil && n < maxPomModules; cur, n = cur.parent, n+1 {
		out = append(out, cur.project.Build.Plugins...)
		out = append(out, cur.project.Build.PluginManagement.Plugins...)
	}
	return out
}

// mainClassPlugins are where a main class is written, in the order the
// plan trusts them: what the packaged jar or the Boot launcher runs first.
var mainClassPlugins = []string{"spring-boot-maven-plugin", "maven-jar-plugin", "maven-shade-plugin", "maven-assembly-plugin", "exec-maven-plugin"}

func (m *mavenModule) findMainClass() string {
	try := func(v string) string {
		v, ok := m.interpolate(strings.TrimSpace(v))
		if !ok || !javaClassName.MatchString(v) {
			return ""
		}
		return v
	}
	if v, ok := m.property("start-class"); ok {
		if c := try(v); c != "" {
			return c
		}
	}
	plugins := m.plugins()
	for _, name := range mainClassPlugins {
		for i := range plugins {
			pl := &plugins[i]
			if strings.TrimSpace(pl.ArtifactID) != name {
				continue
			}
			confs := []*xmlNode{pl.Configuration}
			for _, e := range pl.Executions {
				confs = append(confs, e.Configuration)
			}
			for _, c := range confs {
				if v := try(c.find("mainClass")); v != "" {
					return v
				}
			}
		}
	}
	return ""
}

// springBoot tells a Spring Boot module: Boot's build plugin, or Boot's
// parent pom, on it or a parent in the reactor.
func (m *mavenModule) springBoot() bool {
	for _, pl := range m.plugins() {
		if strings.TrimSpace(pl.ArtifactID) == "spring-boot-maven-plugin" {
			return true
		}
	}
	for cur, n := m, 0; cur != nil && n < maxPomModules; cur, n = cur.parent, n+1 {
		if p := cur.project.Parent; p != nil && strings.TrimSpace(p.ArtifactID) == "spring-boot-starter-parent" {
			return true
		}
	}
	return false
}

// javaClassName is a binary class name.
var javaClassName = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*){0,63}$`)

func (m *mavenModule) findRelease() int {
	atoi := func(v string) int {
		v, ok := m.interpolate(strings.TrimSpace(v))
		if !ok {
			return 0
		}
		v = strings.TrimPrefix(v, "1.")
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 99 {
			return 0
		}
		return n
	}
	for _, k := range []string{"maven.compiler.release", "maven.compiler.target", "maven.compiler.source", "java.version"} {
		if v, ok := m.property(k); ok {
			if n := atoi(v); n > 0 {
				return n
			}
		}
	}
	for _, pl := range m.plugins() {
		if strings.TrimSpace(pl.ArtifactID) != "maven-compiler-plugin" {
			continue
		}
		for _, k := range []string{"release", "target"} {
			if n := atoi(pl.Configuration.find(k)); n > 0 {
				return n
			}
		}
	}
	return 0
}

// find looks a module up by artifactId or directory.
func (r *mavenReactor) find(name string) *mavenModule {
	name = strings.TrimSuffix(strings.TrimSpace(name), "/")
	if c, ok := lang.CleanRel(name); ok {
		for _, m := range r.Modules {
			if m.Dir == c {
				return m
			}
		}
	}
	for _, m := range r.Modules {
		if m.ArtifactID == name {
			return m
		}
	}
	return nil
}

// names lists the modules that can run, for messages.
func (r *mavenReactor) names() []string {
	var out []string
	for _, m := range r.Modules {
		if m.Packaging == "jar" {
			out = append(out, m.ArtifactID)
		}
	}
	slices.Sort(out)
	return out
}
