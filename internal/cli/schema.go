package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/ouraexport/ouraexport/schema"
)

const schemaLong = `Describe the unified tables the export writes: every column with its type,
unit, time zone, meaning, and the Oura API v2 (and v1) field it comes from.
With TABLE names (or v2 collection names), describe only those tables.`

const schemaNotes = `Exit status: 0 done; 2 bad usage (a TABLE that does not exist).`

// schemaCommand is 'ouraexport schema'.
func schemaCommand(s Streams) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:               "schema [--json] [TABLE]...",
		Short:             "describe the unified tables: columns, types, units, time zones and source fields",
		Long:              schemaLong,
		Annotations:       map[string]string{NotesAnnotation: schemaNotes},
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: completeTables,
		RunE: func(c *cobra.Command, names []string) error {
			return runSchema(asJSON, names, s)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the description as JSON (schema_version, conventions,\n"+
		"tables with their key, parent, partition column and columns)")
	return c
}

// schemaWidth is the width the text description wraps at.
const schemaWidth = 100

func runSchema(asJSON bool, names []string, s Streams) error {
	tables, err := selectTables(names)
	if err != nil {
		return err
	}
	d := schema.Describe(tables...)
	if asJSON {
		enc := json.NewEncoder(s.Out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(d); err != nil {
			return fmt.Errorf("schema: write: %w", err)
		}
		return nil
	}
	if err := writeSchemaText(s.Out, d, len(names) == 0); err != nil {
		return fmt.Errorf("schema: write: %w", err)
	}
	return nil
}

// selectTables resolves table or collection names; none means every table.
func selectTables(names []string) ([]*schema.Table, error) {
	var out []*schema.Table
	for _, n := range names {
		if t := schema.Lookup(n); t != nil {
			out = append(out, t)
			continue
		}
		if ts := schema.TablesOf(n); ts != nil {
			out = append(out, ts[0])
			continue
		}
		return nil, usagef("schema", "unknown table %q", n)
	}
	return out, nil
}

// writeSchemaText writes the description for a reader: per table its
// meaning and key, then each column on a line of its own (name, type, unit,
// time zone) followed by its meaning and source fields, wrapped to
// schemaWidth columns.
func writeSchemaText(w io.Writer, d schema.Description, all bool) error {
	ew := &errWriter{w: w}
	if all {
		colls := map[string]bool{}
		for _, t := range d.Tables {
			colls[t.Collection] = true
		}
		ew.printf("Unified schema version %d: %d tables from %d Oura API v2 collections.\n\n", d.Version, len(d.Tables), len(colls))
		ew.wrap(d.Conventions, "", "")
		ew.printf("\nTables (child tables indented under their parent):\n")
		for _, t := range d.Tables {
			indent := "  "
			if t.Parent != nil {
				indent = "      "
			}
			ew.printf("%s%s\n", indent, t.Name)
		}
	}
	for _, t := range d.Tables {
		ew.printf("\n%s\n%s\n", t.Name, strings.Repeat("=", utf8.RuneCountInString(t.Name)))
		ew.wrap(t.Meaning, "", "")
		facts := []string{"v2 collection " + t.Collection}
		if t.Parent != nil {
			facts = append(facts, "child of "+*t.Parent)
		}
		facts = append(facts, "key "+strings.Join(t.Key, " + "))
		if t.PartitionBy != nil {
			facts = append(facts, "partitioned by the year of "+*t.PartitionBy)
		}
		ew.wrap(strings.Join(facts, "; ")+".", "", "")
		ew.printf("\n")
		width := 0
		for _, c := range t.Columns {
			width = max(width, len(c.Name))
		}
		for _, c := range t.Columns {
			attrs := c.Type
			if c.Unit != nil {
				attrs += " (" + *c.Unit + ")"
			}
			if c.TimeZone != nil {
				attrs += ", " + *c.TimeZone
			}
			if c.Required {
				attrs += ", never null"
			}
			ew.printf("  %-*s  %s\n", width, c.Name, attrs)
			text := c.Meaning
			var src []string
			if c.V2Field != nil {
				src = append(src, "v2 "+*c.V2Field)
			}
			if c.V1Field != nil {
				src = append(src, "v1 "+*c.V1Field)
			}
			if len(src) > 0 {
				text += " [" + strings.Join(src, "; ") + "]"
			}
			ew.wrap(text, "      ", "      ")
		}
	}
	return ew.err
}

// errWriter keeps the first write error so the caller checks once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

// wrap writes text as lines of at most schemaWidth runes, the first
// prefixed with first and the others with rest. A word longer than a line
// gets a line of its own.
func (e *errWriter) wrap(text, first, rest string) {
	var line strings.Builder
	line.WriteString(first)
	empty := true
	for _, word := range strings.Fields(text) {
		if !empty && utf8.RuneCountInString(line.String())+1+utf8.RuneCountInString(word) > schemaWidth {
			e.printf("%s\n", line.String())
			line.Reset()
			line.WriteString(rest)
			empty = true
		}
		if !empty {
			line.WriteByte(' ')
		}
		line.WriteString(word)
		empty = false
	}
	if !empty {
		e.printf("%s\n", line.String())
	}
}
