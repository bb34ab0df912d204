// Command specgen derives the compact model description that the tests use
// from Oura's published OpenAPI document, and the copy of it that
// "ouraexport spec check" compares newer documents with
// (internal/apispec/base.json).
//
// The tests never read the OpenAPI document itself (a user's clone does not
// have it); they read the JSON this program writes into testdata. Run it again
// when Oura publishes a new spec that ouraexport is to be built from:
//
//	go run ./internal/tools/specgen -spec path/to/openapi.json -out testdata/oura/models_v2.json -base internal/apispec/base.json
//
// With -min FILE it also writes the document itself without its prose
// (descriptions, summaries, examples, code samples) and without the routes
// outside the usercollection API: the fixture from which the tests of
// "ouraexport spec check" make newer documents (testdata/oura/openapi-min.json).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ouraexport/ouraexport/internal/apispec"
)

func main() {
	specPath := flag.String("spec", "", "the OpenAPI document to read")
	out := flag.String("out", "testdata/oura/models_v2.json", "where to write the model description")
	base := flag.String("base", "", "where else to write it (internal/apispec/base.json), if anywhere")
	min := flag.String("min", "", "where to write the document without its prose, if anywhere")
	flag.Parse()
	if *specPath == "" {
		fmt.Fprintln(os.Stderr, "specgen: -spec is required")
		os.Exit(2)
	}
	if err := run(*specPath, *out, *base, *min); err != nil {
		fmt.Fprintln(os.Stderr, "specgen:", err)
		os.Exit(1)
	}
}

func run(specPath, out, base, min string) error {
	b, err := os.ReadFile(specPath)
	if err != nil {
		return err
	}
	if min != "" {
		m, err := minimal(b)
		if err != nil {
			return fmt.Errorf("-min: %w", err)
		}
		if err := os.WriteFile(min, m, 0o644); err != nil {
			return err
		}
	}
	spec, err := apispec.Read(filepath.Base(specPath), b)
	if err != nil {
		return err
	}
	b, err = json.MarshalIndent(spec, "", " ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	for _, p := range []string{out, base} {
		if p == "" {
			continue
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
