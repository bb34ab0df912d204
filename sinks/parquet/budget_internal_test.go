package parquet

import (
	"context"
	"testing"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
	"github.com/ouraexport/ouraexport/sinks/sinktest"
)

// TestBudget writes several tables (partitioned, so many files are open)
// and checks after every Write that the bytes the sink accounts for are
// those its buffers hold, and within the budget.
func TestBudget(t *testing.T) {
	d, err := sinks.LocalDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	samples, all := sinktest.Samples(), sinktest.AllTypes()
	other := sinktest.Samples()
	other.Name = "other"
	const budget = 1 << 20
	s, err := New(sinks.Options{Dir: d, Tables: []*schema.Table{samples, all, other}, Partition: true, MemoryBudget: budget})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows := sinktest.SampleRows(100_000)
	sb, ob, ab := schema.NewBatch(samples, 4096), schema.NewBatch(other, 4096), schema.NewBatch(all, 32)
	sinktest.Fill(ab, sinktest.AllTypesRows())
	ctx := context.Background()
	check := func() {
		t.Helper()
		var sum int64
		for pt := range s.parts {
			var n int64
			for _, c := range append(append([]*chunk{}, pt.buf.chunks...), pt.buf.free...) {
				n += c.size()
			}
			if n != pt.buf.held {
				t.Fatalf("%s: buffer accounts %d bytes, holds %d", pt.name, pt.buf.held, n)
			}
			sum += n
		}
		if sum != s.held {
			t.Fatalf("sink accounts %d bytes, buffers hold %d", s.held, sum)
		}
		if s.held > budget {
			t.Fatalf("sink holds %d bytes, over its budget of %d", s.held, budget)
		}
	}
	for lo := 0; lo < len(rows); lo += 4096 {
		hi := min(lo+4096, len(rows))
		sb.Reset()
		sinktest.Fill(sb, rows[lo:hi])
		if err := s.Write(ctx, sb); err != nil {
			t.Fatal(err)
		}
		check()
		ob.Reset()
		sinktest.Fill(ob, rows[len(rows)-hi:len(rows)-lo]) // another table, other years first
		if err := s.Write(ctx, ob); err != nil {
			t.Fatal(err)
		}
		check()
		if err := s.Write(ctx, ab); err != nil {
			t.Fatal(err)
		}
		check()
	}
	files, err := s.Commit(ctx, sinktest.Meta())
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, f := range files {
		total += f.Rows
	}
	if want := int64(2*len(rows) + (len(rows)+4095)/4096*len(sinktest.AllTypesRows())); total != want {
		t.Errorf("files hold %d rows, want %d", total, want)
	}
	if s.held != 0 {
		t.Errorf("after Commit the sink still holds %d bytes", s.held)
	}
}
