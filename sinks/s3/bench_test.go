package s3_test

import (
	"bytes"
	"fmt"
	"testing"
)

// BenchmarkCommit measures publishing small files (a partitioned export's
// typical Parquet or CSV part) to the loopback server, one after another.
func BenchmarkCommit(b *testing.B) {
	for _, size := range []int{4 << 10, 256 << 10, 8 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			_, d, _ := open(b, "bench", nil)
			data := bytes.Repeat([]byte("0123456789abcdef"), size/16)
			b.SetBytes(int64(size))
			b.ResetTimer()
			for i := range b.N {
				w, err := d.Create(fmt.Sprintf("t/year=2024/part-%d.parquet", i%64))
				if err != nil {
					b.Fatal(err)
				}
				w.Write(data)
				if _, err := w.Commit(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "files/s")
		})
	}
}
