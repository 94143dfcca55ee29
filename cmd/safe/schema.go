package main

import (
	"fmt"
	"io"

	"github.com/org/safe-frontend/spec"
)

// writeSchema prints the spec's JSON schema, generated from the model.
func writeSchema(w io.Writer) error {
	b, err := spec.Schema()
	if err != nil {
		return fmt.Errorf("generating the schema: %w", err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		b = append(b, '\n')
	}
	_, err = w.Write(b)
	return err
}
