package sbom

import (
	"fmt"
	"io"
	"io/fs"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/rules"
)

// readRegular reads a whole regular file of at most limit bytes.
func readRegular(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("/%s: not a regular file (%s)", name, st.Mode().Type())
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("/%s: %d bytes is more than the %d bytes it may have here", name, st.Size(), limit)
	}
	dt, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("/%s: %w", name, err)
	}
	if int64(len(dt)) > limit {
		return nil, fmt.Errorf("/%s: grew past %d bytes while it was read", name, limit)
	}
	return dt, nil
}

// checkShape refuses a lockfile read for the SBOM that is deeper, or has
// more YAML aliases, than any real one, before it is parsed: the same
// bounds as the context's project files.
func checkShape(file string, dt []byte, f lang.Format) error {
	if sf := lang.CheckShape(file, dt, f); sf != nil {
		r := rules.MustLookup(sf.Rule)
		return fmt.Errorf("%s: %s %s: %s (%s)", sf.Where(), r.ID, r.Name, sf.Message, r.URL())
	}
	return nil
}
