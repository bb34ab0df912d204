package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ouraexport/ouraexport/internal/apispec"
	"github.com/ouraexport/ouraexport/internal/scope"
	"github.com/ouraexport/ouraexport/schema"
)

const specLong = `Compares a newer Oura OpenAPI document with the one this version of
ouraexport was built from, and says, per collection, what changed and what an
export does with it: a new field is kept in the extra column, a new
collection can be exported raw with --collections NAME, a removed one makes
the export partial until ouraexport drops it, a new scope is one to log in
again for. Nothing is sent anywhere: the document is read from FILE.

Save the document Oura publishes with its API reference (openapi-1.XX.json)
and pass it with --spec; without --spec, check says which document
ouraexport was built from.`

const specNotes = `Exit status: 0 compared (whatever the changes); 2 bad usage, or a FILE that
cannot be read or is not an OpenAPI document.`

// specCommand is 'ouraexport spec' and its one command, check.
func specCommand(s Streams) *cobra.Command {
	c := &cobra.Command{
		Use:               "spec check [--spec FILE]",
		Short:             "compare a newer Oura OpenAPI document with the one ouraexport was built from",
		Long:              specLong,
		Annotations:       map[string]string{NotesAnnotation: specNotes},
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("spec", "say what to do: check")
			}
			return usagef("spec", "unknown spec command %q: choose check", args[0])
		},
	}
	var file string
	check := &cobra.Command{
		Use:               "check [--spec FILE]",
		Short:             "say what a newer OpenAPI document changes, and what an export does with it",
		Long:              specLong,
		Annotations:       map[string]string{NotesAnnotation: specNotes},
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, _ []string) error {
			return specCheck(file, s)
		},
	}
	check.Flags().StringVar(&file, "spec", "", "the newer OpenAPI document (JSON; - reads standard input)")
	flagArgs(check.Flags(), "spec=FILE")
	c.AddCommand(check)
	return c
}

// specCheck compares the document in file with the base and prints the report.
func specCheck(file string, s Streams) error {
	const cmd = "spec check"
	base := apispec.Base()
	if file == "" {
		colls := base.Collections()
		fmt.Fprintf(s.Out, "ouraexport %s was built from %s: %d collections (%s).\n", version(), base.Source, len(colls), strings.Join(colls, ", "))
		fmt.Fprintln(s.Out, "Save a newer document from Oura's API reference and compare it: ouraexport spec check --spec FILE")
		return nil
	}
	var (
		b    []byte
		err  error
		name = filepath.Base(file)
	)
	if file == "-" {
		b, err = io.ReadAll(io.LimitReader(s.In, apispec.MaxDocument+1))
		name = "standard input"
	} else {
		b, err = readLimited(file, apispec.MaxDocument+1)
	}
	if err != nil {
		return fmt.Errorf("%w: %s: --spec %s: %w", ErrBadInput, cmd, file, err)
	}
	newer, err := apispec.Read(name, b)
	if err != nil {
		return fmt.Errorf("%w: %s: %s: %w", ErrBadInput, cmd, name, err)
	}
	if err := apispec.Diff(base, newer, knows{}).Write(s.Out); err != nil {
		return fmt.Errorf("%s: write: %w", cmd, err)
	}
	return nil
}

// readLimited reads at most n bytes of the file at path.
func readLimited(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err
		}
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, n))
}

// knows is what ouraexport models, for apispec.Diff: the schema's tables
// and columns, the scope table, the optional collections.
type knows struct{}

func (knows) Table(collection string) (string, bool) {
	if ts := schema.TablesOf(collection); len(ts) > 0 {
		return ts[0].Name, true
	}
	return "", false
}

func (knows) Column(collection, field string) (string, bool) {
	for _, t := range schema.TablesOf(collection) {
		for _, c := range t.Columns {
			if c.V2 == field {
				return t.Name + "." + c.Name, true
			}
		}
	}
	return "", false
}

func (knows) Scope(name string) bool {
	_, ok := scope.Normalize(name)
	return ok
}

func (knows) Optional(collection string) bool { return scope.Optional(collection) }
