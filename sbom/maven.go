package sbom

import (
	"archive/zip"
	"bufio"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"
)

// KindMavenJars is a directory of jars (the app's at its top, libraries
// in lib/ and modules/): Maven writes each artifact's coordinates into
// META-INF/maven/<groupId>/<artifactId>/pom.properties.
const KindMavenJars = "maven-jars"

// Bounds for what the reader opens; a real app has a few hundred jars.
const (
	maxJars           = 5000
	maxJarSize        = 512 << 20
	maxJarEntries     = 200000
	maxPomProperties  = 64 << 10
	maxPomPerJar      = 64
	mavenJarDirsDepth = 1
)

var (
	mavenCoord   = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,200}$`)
	mavenVersion = regexp.MustCompile(`^[A-Za-z0-9_.+-]{1,128}$`)
	pomPropsPath = regexp.MustCompile(`^META-INF/maven/([^/]+)/([^/]+)/pom\.properties$`)
)

func init() { readers[KindMavenJars] = readMavenJars }

// readMavenJars lists the Maven artifacts in the jars under dir: the jars
// at its top are the application, the ones in its subdirectories what it
// depends on.
func readMavenJars(fsys fs.FS, dir string) ([]Package, error) {
	var apps, deps []Package
	n := 0
	var walk func(d string, depth int) error
	walk = func(d string, depth int) error {
		entries, err := fs.ReadDir(fsys, d)
		if err != nil {
			return err
		}
		for _, e := range entries {
			p := path.Join(d, e.Name())
			if e.IsDir() {
				if depth < mavenJarDirsDepth {
					if err := walk(p, depth+1); err != nil {
						return err
					}
				}
				continue
			}
			if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".jar") {
				continue
			}
			if n++; n > maxJars {
				return fmt.Errorf("more than %d jars", maxJars)
			}
			pkgs, err := readJar(fsys, p)
			if err != nil {
				return err
			}
			for _, pkg := range pkgs {
				if depth == 0 {
					pkg.Purpose = "APPLICATION"
					pkg.FileName = "/" + p
					apps = append(apps, pkg)
				} else {
					deps = append(deps, pkg)
				}
			}
		}
		return nil
	}
	if err := walk(dir, 0); err != nil {
		return nil, fmt.Errorf("/%s: %w", dir, err)
	}
	if len(apps) == 0 {
		return deps, nil
	}
	for i := range apps {
		apps[i].DependsOn = deps
	}
	return apps, nil
}

// readJar reads the pom.properties files of one jar (a shaded jar holds
// several).
func readJar(fsys fs.FS, name string) ([]Package, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	ra, err := readerAt(f, maxJarSize)
	if err != nil {
		return nil, fmt.Errorf("/%s: %w", name, err)
	}
	zr, err := zip.NewReader(ra, st.Size())
	if err != nil {
		return nil, fmt.Errorf("/%s: not a jar: %w", name, err)
	}
	if len(zr.File) > maxJarEntries {
		return nil, fmt.Errorf("/%s has %d entries, more than the %d a jar may have here", name, len(zr.File), maxJarEntries)
	}
	var out []Package
	for _, zf := range zr.File {
		m := pomPropsPath.FindStringSubmatch(zf.Name)
		if m == nil {
			continue
		}
		if len(out) >= maxPomPerJar {
			break
		}
		rc, err := zf.Open()
		if err != nil {
			return nil, fmt.Errorf("/%s: %s: %w", name, zf.Name, err)
		}
		dt, err := io.ReadAll(io.LimitReader(rc, maxPomProperties+1))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("/%s: %s: %w", name, zf.Name, err)
		}
		if len(dt) > maxPomProperties {
			return nil, fmt.Errorf("/%s: %s is larger than %d bytes", name, zf.Name, maxPomProperties)
		}
		props := parseProperties(dt)
		g, a, v := props["groupId"], props["artifactId"], props["version"]
		if g == "" {
			g = m[1]
		}
		if a == "" {
			a = m[2]
		}
		if !mavenCoord.MatchString(g) || !mavenCoord.MatchString(a) || !mavenVersion.MatchString(v) {
			return nil, fmt.Errorf("/%s: %s: %q:%q:%q are not Maven coordinates", name, zf.Name, clip(g), clip(a), clip(v))
		}
		out = append(out, Package{
			Name:       g + ":" + a,
			Version:    v,
			PURL:       packageurl.NewPackageURL(packageurl.TypeMaven, g, a, v, nil, "").ToString(),
			Purpose:    "LIBRARY",
			SourceInfo: fmt.Sprintf("Maven artifact in /%s, from its %s", name, zf.Name),
		})
	}
	slices.SortFunc(out, func(x, y Package) int { return strings.Compare(x.PURL, y.PURL) })
	return out, nil
}

// parseProperties reads the key=value lines of a Java properties file
// (what Maven writes: no continuations, no escapes beyond the plain).
func parseProperties(dt []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(dt))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			k, v, ok = strings.Cut(line, ":")
		}
		if ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}
