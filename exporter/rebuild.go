package exporter

import (
	"context"
	"slices"
	"time"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
)

// RebuildOptions configure Rebuild.
type RebuildOptions struct {
	Store *Store
	// Collections are every collection the store may hold (v2, other APIs,
	// imports); those without stored documents are skipped.
	Collections []*Collection
	Sinks       []sinks.Sink
	Root        sinks.Dir
	// Tables are the tables the sinks were opened with (nil: OutputTables
	// of the stored collections).
	Tables      []*schema.Table
	ToolVersion string
	// Notes are added to the outputs' notes.
	Notes []string
	// Incomplete names what the outputs lack (sinks.Meta.Incomplete): the
	// files an import skipped.
	Incomplete []string
	// After is called as Options.After is.
	After AfterFunc
}

// Rebuild writes the outputs from the store alone, without asking any
// server: v2 first, then the other APIs, then imported files, merged. The
// import command uses it after storing what it read. Like Export, it
// commits the sinks and the manifest only when everything is written.
func Rebuild(ctx context.Context, o RebuildOptions) (*Result, error) {
	start := time.Now()
	res := &Result{}
	defer func() {
		for _, s := range o.Sinks {
			s.Close()
		}
	}()
	raw, err := StoredRaw(o.Store, o.Collections)
	if err != nil {
		return res, err
	}
	stored, err := Stored(o.Store, append(slices.Clone(o.Collections), raw...))
	if err != nil {
		return res, err
	}
	tables := o.Tables
	if tables == nil {
		tables = OutputTables(stored)
	}
	b := NewBuilder(ctx, BuildOptions{Store: o.Store, Sinks: o.Sinks, Tables: tables})
	var imports []*Collection
	rank := func(c *Collection) int {
		switch c.API {
		case APIv2:
			return 0
		case APIImport:
			return 2
		}
		return 1
	}
	slices.SortStableFunc(stored, func(x, y *Collection) int { return rank(x) - rank(y) })
	for _, c := range stored {
		if c.API == APIImport {
			imports = append(imports, c)
			continue
		}
		if err = b.Collection(c); err != nil {
			break
		}
	}
	if err == nil && len(imports) > 0 {
		err = b.Imports(imports)
	}
	if cerr := b.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return res, err
	}
	res.Docs, res.Warnings, res.RowsByGen = b.Docs(), b.Warnings(), b.RowsByGen()
	meta := sinks.Meta{
		ToolVersion:   o.ToolVersion,
		SchemaVersion: schema.Version,
		ExportedAt:    start.UTC(),
		Subject:       sinks.Subject{ID: o.Store.State.Account, Email: o.Store.State.Email},
		Counts:        res.Docs,
		Notes:         o.Notes,
		Incomplete:    o.Incomplete,
	}
	if first, last := b.Days(); !first.IsZero() {
		meta.Period = sinks.Period{Since: first.Format(time.DateOnly), Until: last.Format(time.DateOnly)}
	}
	if meta.Sources, err = sources(o.Store, nil, o.Collections, o.Store.State.APIURL, res.Docs); err != nil {
		return res, err
	}
	if err := commit(ctx, o.Sinks, o.Root, meta, res, o.After); err != nil {
		return res, err
	}
	res.Elapsed = time.Since(start)
	return res, nil
}
