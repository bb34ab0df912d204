package v1compat_test

import (
	"testing"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/v1compat"
)

// BenchmarkCheckAndMap checks and maps a year of the sandbox's v1 sleep
// and activity records (with their 5-minute and 1-minute series) into
// schema rows, as the engine does for every fetched v1 record.
//
//	go test -run '^$' -bench CheckAndMap ./v1compat/
func BenchmarkCheckAndMap(b *testing.B) {
	w := newWorld(b, "2023-01-01", "2023-12-31", nil)
	type rec struct {
		k   v1compat.Kind
		doc []byte
	}
	var recs []rec
	var size int64
	for _, k := range []v1compat.Kind{v1compat.Sleep, v1compat.Activity} {
		for doc, err := range w.Srv.V1Documents(1, string(k), w.Since, w.Until) {
			if err != nil {
				b.Fatal(err)
			}
			recs = append(recs, rec{k, doc})
			size += int64(len(doc))
		}
	}
	rows := 0
	m := schema.NewMapper(8192, func(bt *schema.Batch) error { rows += bt.Len(); return nil })
	b.SetBytes(size)
	n := 0
	for b.Loop() {
		n++
		for _, r := range recs {
			if err := v1compat.Check(r.k, r.doc); err != nil {
				b.Fatal(err)
			}
			if err := v1compat.Map(m, r.k, r.doc, schema.OriginV1); err != nil {
				b.Fatal(err)
			}
		}
		if err := m.Flush(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(recs)), "records")
	b.ReportMetric(float64(rows)/float64(n), "rows/op")
}
