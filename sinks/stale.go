package sinks

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ouraexport/ouraexport/schema"
)

// RemoveStale removes from d the files with extension ext of the given
// tables ("<table><ext>" and "<table>/.../*<ext>") that are not in keep: the
// files an earlier export into the same folder left and this one did not
// rewrite (partitions of other years, the other layout). Files of other
// tables are left alone. Sinks call it at the end of Commit.
func RemoveStale(d Dir, ext string, tables []*schema.Table, keep map[string]bool) error {
	names, err := d.List()
	if err != nil {
		return fmt.Errorf("remove stale files: %w", err)
	}
	ours := make(map[string]bool, len(tables))
	for _, t := range tables {
		ours[t.Name] = true
	}
	var errs []error
	for _, name := range names {
		if keep[name] || !strings.HasSuffix(name, ext) {
			continue
		}
		if t, _, _ := strings.Cut(strings.TrimSuffix(name, ext), "/"); !ours[t] {
			continue
		}
		if err := d.Remove(name); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove stale files: %w", err)
	}
	return nil
}
