package report

import (
	"bytes"
	"testing"

	"github.com/ouraexport/ouraexport/schema"
)

// FuzzReaders feeds arbitrary bytes to the CSV and NDJSON readers and the
// text parser, as a damaged or foreign file would: they must return an
// error or rows, never panic.
func FuzzReaders(f *testing.F) {
	f.Add([]byte("day,score,timestamp\r\n2024-01-02,81,2024-01-02T04:00:00Z\r\n,,\r\n"))
	f.Add([]byte(`{"day":"2024-01-02","score":81,"timestamp":"2024-01-02T04:00:00+02:00"}` + "\n" + `{"day":null,"score":"NaN"}` + "\n"))
	f.Add([]byte("{\"day\":\"2024-13-40\"}\n{"))
	f.Add([]byte("\"unterminated\r\n"))
	cols := []string{"day", "score", "timestamp"}
	types := []schema.Type{schema.Date, schema.Float, schema.Timestamp}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, read := range []textReader{readCSV, readNDJSON} {
			_ = read(bytes.NewReader(b), cols, func(fields []string, ok []bool) error {
				for i, s := range fields {
					if _, err := parseText(s, ok[i], types[i]); err != nil {
						return err
					}
				}
				return nil
			})
		}
	})
}
