package sbom

import (
	"fmt"
	"io"
	"io/fs"
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
