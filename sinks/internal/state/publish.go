package state

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
)

// Publish moves a format's pending files into dir, and once all are in
// place removes the files of an earlier export for the same tables that this
// one did not write (keep names those written). A failed move fails the sink.
func Publish(l *Life, format string, dir sinks.Dir, pending []sinks.Pending, ext string, tables []*schema.Table, keep map[string]bool) ([]sinks.File, error) {
	files, err := sinks.Publish(dir, pending)
	if err != nil {
		return nil, l.Fail(fmt.Errorf("%s: %w", format, err))
	}
	l.Committed()
	if err := sinks.RemoveStale(dir, ext, tables, keep); err != nil {
		return files, fmt.Errorf("%s: %w", format, err)
	}
	return files, nil
}

// SortedParts returns a table's files in name order: single without
// partitioning (none when nil), else the partitions' parts.
func SortedParts[P any](single *P, parts map[sinks.Partition]*P, name func(*P) string) []*P {
	if parts == nil {
		if single == nil {
			return nil
		}
		return []*P{single}
	}
	out := slices.Collect(maps.Values(parts))
	slices.SortFunc(out, func(a, b *P) int { return strings.Compare(name(a), name(b)) })
	return out
}
