package csv_test

import (
	"context"
	"database/sql"
	"math"
	"path/filepath"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
	"github.com/ouraexport/ouraexport/sinks/csv"
	"github.com/ouraexport/ouraexport/sinks/internal/text"
	"github.com/ouraexport/ouraexport/sinks/sinktest"
)

// TestDuckDB reads the CSV files with DuckDB's read_csv: its sniffer must
// find the right types, and the values must come back as written.
func TestDuckDB(t *testing.T) {
	root := t.TempDir()
	d, err := sinks.LocalDir(root)
	if err != nil {
		t.Fatal(err)
	}
	all, samples := sinktest.AllTypes(), sinktest.Samples()
	sk, err := csv.New(sinks.Options{Dir: d, Tables: []*schema.Table{all, samples}})
	if err != nil {
		t.Fatal(err)
	}
	defer sk.Close()
	ctx := context.Background()
	ab := schema.NewBatch(all, 8)
	sinktest.Fill(ab, sinktest.AllTypesRows())
	sb := schema.NewBatch(samples, 8)
	sinktest.Fill(sb, sinktest.SampleRows(5000))
	if err := sk.Write(ctx, ab); err != nil {
		t.Fatal(err)
	}
	if err := sk.Write(ctx, sb); err != nil {
		t.Fatal(err)
	}
	if _, err := sk.Commit(ctx, sinktest.Meta()); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	t.Run("sniffed types", func(t *testing.T) {
		rows, err := db.Query("DESCRIBE SELECT * FROM read_csv(?)", filepath.Join(root, "samples.csv"))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		got := map[string]string{}
		for rows.Next() {
			var name, typ string
			var a, b, c, e sql.NullString
			if err := rows.Scan(&name, &typ, &a, &b, &c, &e); err != nil {
				t.Fatal(err)
			}
			got[name] = typ
		}
		want := map[string]string{"origin": "VARCHAR", "day": "DATE", "timestamp": "TIMESTAMP WITH TIME ZONE", "bpm": "BIGINT", "source": "VARCHAR"}
		for col, typ := range want {
			if got[col] != typ {
				t.Errorf("read_csv sniffs %s as %q, want %q", col, got[col], typ)
			}
		}
		var n, nulls int64
		var sum float64
		if err := db.QueryRow("SELECT count(*), sum(bpm), count(*) - count(source) FROM read_csv(?)", filepath.Join(root, "samples.csv")).Scan(&n, &sum, &nulls); err != nil {
			t.Fatal(err)
		}
		if n != 5000 || nulls != 50 {
			t.Errorf("samples: %d rows, %d null sources; want 5000, 50", n, nulls)
		}
	})

	t.Run("values", func(t *testing.T) {
		// Typed explicitly, every value (quotes, line breaks, NaN, extreme dates) must parse back.
		rows, err := db.Query(`SELECT id, label, datediff('day', DATE '1970-01-01', day), epoch_us("at"), n, x, s, j, b,
			datediff('day', DATE '1970-01-01', "on"), epoch_us(since), ok, w
			FROM read_csv(?, header=true, allow_quoted_nulls=false, columns={'id':'BIGINT','label':'VARCHAR','day':'DATE','at':'TIMESTAMPTZ',
			'n':'BIGINT','x':'DOUBLE','s':'VARCHAR','j':'VARCHAR','b':'BOOLEAN','on':'DATE','since':'TIMESTAMPTZ','ok':'BOOLEAN','w':'DOUBLE'})
			ORDER BY id`, filepath.Join(root, "alltypes.csv"))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got [][]any
		for rows.Next() {
			var (
				id, on, since int64
				label         string
				day, at, n    sql.NullInt64
				x             sql.NullFloat64
				s, j          sql.NullString
				b             sql.NullBool
				ok            bool
				w             float64
			)
			if err := rows.Scan(&id, &label, &day, &at, &n, &x, &s, &j, &b, &on, &since, &ok, &w); err != nil {
				t.Fatal(err)
			}
			row := []any{id, label, nil, nil, nil, nil, nil, nil, nil, on, since, ok, w}
			if day.Valid {
				row[2] = day.Int64
			}
			if at.Valid {
				row[3] = at.Int64
			}
			if n.Valid {
				row[4] = n.Int64
			}
			if x.Valid {
				row[5] = x.Float64
			}
			// A spreadsheet shows text that looks like a formula with the
			// guard before it; a reader drops it to get the value back.
			if s.Valid {
				if text.Guarded(s.String) && s.String[0] != text.FormulaGuard {
					t.Errorf("DuckDB reads %q unguarded", s.String)
				}
				row[6] = text.Unguard(s.String)
			}
			if j.Valid {
				row[7] = text.Unguard(j.String)
			}
			if b.Valid {
				row[8] = b.Bool
			}
			got = append(got, row)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		want := sinktest.Canonical(all, sinktest.AllTypesRows())
		got = sinktest.Canonical(all, got)
		if len(got) != len(want) {
			t.Fatalf("DuckDB reads %d rows, want %d", len(got), len(want))
		}
		for i := range want {
			for c := range want[i] {
				if !sinktest.Equal(got[i][c], want[i][c]) && !(isNegZero(want[i][c]) && got[i][c] == 0.0) {
					t.Errorf("row %d column %s: DuckDB reads %#v, want %#v", i, all.Columns[c].Name, got[i][c], want[i][c])
				}
			}
		}
	})
}

// isNegZero reports -0.0, which DuckDB's CSV reader parses as 0.
func isNegZero(v any) bool {
	f, ok := v.(float64)
	return ok && f == 0 && math.Signbit(f)
}
