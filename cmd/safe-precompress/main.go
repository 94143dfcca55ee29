// Command safe-precompress prepares a static site for safe-static in a
// build step (see package staticsite/precompress): the site's files, their
// gzip and brotli variants, and the manifest of their hashes.
//
//	safe-precompress -src DIR -out DIR [-exclude NAME,...]
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/org/safe-frontend/staticsite/precompress"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "safe-precompress:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fl := flag.NewFlagSet("safe-precompress", flag.ContinueOnError)
	src := fl.String("src", "", "the site's directory")
	out := fl.String("out", "", "the directory to write (created; must be empty)")
	exclude := fl.String("exclude", "", "comma-separated names at the site's root to leave out (the spec file)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *src == "" || *out == "" || fl.NArg() > 0 {
		return fmt.Errorf("usage: safe-precompress -src DIR -out DIR [-exclude NAME,...]")
	}
	skip := map[string]bool{}
	for _, n := range strings.Split(*exclude, ",") {
		if n != "" {
			skip[n] = true
		}
	}
	m, skipped, err := precompress.Prepare(os.DirFS(*src), *out, skip)
	if err != nil {
		return err
	}
	for _, s := range skipped {
		fmt.Fprintln(os.Stderr, "safe-precompress: left out", s)
	}
	fmt.Printf("safe-precompress: %d files\n", len(m.Files))
	return nil
}
