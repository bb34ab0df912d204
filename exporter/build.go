package exporter

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
)

// BuildOptions configure the building half of an export: the stored
// documents, through the schema's mapper, into the sinks.
type BuildOptions struct {
	Store *Store
	Sinks []sinks.Sink
	// Since and Until (days, inclusive) bound the documents of date
	// collections that reach the outputs; zero: no bound.
	Since, Until time.Time
	// BatchRows is how many rows a batch holds (default 8192).
	BatchRows int
}

// Builder streams stored documents into the sinks, one collection at a
// time. Every collection is read in time order from the segments that
// speak for each part of it (a newer fetch supersedes an older one), so the
// outputs hold each record once, sorted, and the same store always builds
// the same files.
type Builder struct {
	o      BuildOptions
	mapper *schema.Mapper
	out    *fanout
	ctx    context.Context
	docs   map[string]int64
}

// NewBuilder returns a builder writing to o.Sinks.
func NewBuilder(ctx context.Context, o BuildOptions) *Builder {
	if o.BatchRows <= 0 {
		o.BatchRows = 8192
	}
	b := &Builder{o: o, ctx: ctx, docs: map[string]int64{}, out: newFanout(ctx, o.Sinks)}
	b.mapper = schema.NewMapper(o.BatchRows, b.out.write)
	return b
}

// Close waits until the sinks have written everything handed to them and
// returns the first error any of them met. Call it before committing them.
func (b *Builder) Close() error { return b.out.close() }

// Docs returns how many documents of each collection reached the outputs.
func (b *Builder) Docs() map[string]int64 { return b.docs }

type part struct {
	seg   Segment
	cover span // zero: the whole segment
	first bool // the first part of its segment (takes documents without a key)
}

// Collection writes every stored document of c to the sinks.
func (b *Builder) Collection(c *Collection) error {
	segs, err := b.o.Store.Segments(c.API, c.Name)
	if err != nil {
		return err
	}
	eff := effective(segs)
	var parts []part
	for i, spans := range eff {
		for k, sp := range spans {
			parts = append(parts, part{seg: segs[i], cover: sp, first: k == 0})
		}
	}
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].cover.From.Before(parts[j].cover.From) })
	seen := map[string]struct{}{}
	for _, p := range parts {
		err := b.o.Store.Read(p.seg, func(doc []byte) error {
			if err := b.ctx.Err(); err != nil {
				return err
			}
			if c.Kind == ByDate || c.Kind == ByInstant {
				key, ok := docKey(c, doc)
				switch {
				case !ok && !p.first:
					return nil
				case ok && !p.seg.Whole() && (key.Before(p.cover.From) || !key.Before(p.cover.To)):
					return nil
				case ok && c.Kind == ByDate && !b.o.Since.IsZero() && key.Before(b.o.Since):
					return nil
				case ok && c.Kind == ByDate && !b.o.Until.IsZero() && key.After(b.o.Until):
					return nil
				}
			}
			if c.ID != "" {
				if v, err := topLevelStrings(doc, c.ID); err == nil && v[0] != "" {
					if _, dup := seen[v[0]]; dup {
						return nil
					}
					seen[v[0]] = struct{}{}
				}
			}
			if err := b.out.writeRaw(c.Name, doc); err != nil {
				return err
			}
			b.docs[c.Name]++
			return c.mapDoc(b.mapper, doc)
		})
		if err != nil {
			return fmt.Errorf("build %s: %w", c.Name, err)
		}
	}
	if err := b.mapper.Flush(); err != nil {
		return err
	}
	return b.out.flushRaw(c.Name)
}

// Warnings returns what the mapper could not fit into its columns (kept in extra).
func (b *Builder) Warnings() []schema.Warning { return b.mapper.Warnings() }
