package sinks_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/ouraexport/ouraexport/sinks"
	"github.com/ouraexport/ouraexport/sinks/sinktest"
)

// TestPublish checks that a failure half way through publishing leaves no
// new file: those published are removed, the others aborted.
func TestPublish(t *testing.T) {
	for _, failAt := range []int{0, 1, 2, 3} {
		d, root := localDir(t)
		fd := sinktest.NewFaultyDir(d, sinktest.Faults{Commit: failAt})
		var pending []sinks.Pending
		for i, name := range []string{"c.csv", "a/b.csv", "a.csv"} {
			w, err := fd.Create(name)
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte(name))
			pending = append(pending, sinks.Pending{Name: name, W: w, Rows: int64(i)})
		}
		files, err := sinks.Publish(fd, pending)
		if failAt == 0 {
			if err != nil {
				t.Fatal(err)
			}
			var paths []string
			for _, f := range files {
				paths = append(paths, f.Path)
			}
			if !slices.Equal(paths, []string{"a.csv", "a/b.csv", "c.csv"}) || files[2].Rows != 0 || files[1].Rows != 1 {
				t.Errorf("published %+v", files)
			}
			continue
		}
		if !errors.Is(err, sinktest.ErrInjected) {
			t.Errorf("fail at %d: got %v", failAt, err)
		}
		if got := entries(t, root); len(got) != 0 && !(len(got) == 1 && got[0] == "a/") {
			t.Errorf("fail at %d: left %v", failAt, got)
		}
	}
}
