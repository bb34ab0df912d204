package parquet_test

import (
	"context"
	"database/sql"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
	"github.com/ouraexport/ouraexport/sinks/parquet"
	"github.com/ouraexport/ouraexport/sinks/sinktest"
)

// export writes the suite's tables with the Parquet sink and returns the folder.
func export(t *testing.T, partition bool, budget int64) (string, []sinks.File) {
	t.Helper()
	root := t.TempDir()
	d, err := sinks.LocalDir(root)
	if err != nil {
		t.Fatal(err)
	}
	all, samples := sinktest.AllTypes(), sinktest.Samples()
	sk, err := parquet.New(sinks.Options{Dir: d, Tables: []*schema.Table{all, samples, sinktest.Empty()}, Partition: partition, MemoryBudget: budget})
	if err != nil {
		t.Fatal(err)
	}
	defer sk.Close()
	ab := schema.NewBatch(all, 8)
	sinktest.Fill(ab, sinktest.AllTypesRows())
	sb := schema.NewBatch(samples, 8)
	sinktest.Fill(sb, sinktest.SampleRows(30_000))
	ctx := context.Background()
	if err := sk.Write(ctx, ab); err != nil {
		t.Fatal(err)
	}
	if err := sk.Write(ctx, sb); err != nil {
		t.Fatal(err)
	}
	files, err := sk.Commit(ctx, sinktest.Meta())
	if err != nil {
		t.Fatal(err)
	}
	return root, files
}

func duck(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func queryStrings(t *testing.T, db *sql.DB, q string, args ...any) [][]string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = v.String
			if !v.Valid {
				row[i] = "<null>"
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDuckDBTypes reads the files with DuckDB, the reader notebook users
// use, and checks the logical types it sees and the file metadata.
func TestDuckDBTypes(t *testing.T) {
	root, _ := export(t, false, 0)
	db := duck(t)
	path := filepath.Join(root, "alltypes.parquet")
	got := map[string]string{}
	for _, r := range queryStrings(t, db, "DESCRIBE SELECT * FROM read_parquet(?)", path) {
		got[r[0]] = r[1]
	}
	want := map[string]string{
		"id": "BIGINT", "label": "VARCHAR", "day": "DATE", "at": "TIMESTAMP WITH TIME ZONE", "n": "BIGINT", "x": "DOUBLE",
		"s": "VARCHAR", "j": "VARCHAR", "b": "BOOLEAN", "on": "DATE", "since": "TIMESTAMP WITH TIME ZONE", "ok": "BOOLEAN", "w": "DOUBLE",
	}
	for col, typ := range want {
		if got[col] != typ {
			t.Errorf("DuckDB reads %s as %q, want %q", col, got[col], typ)
		}
	}

	// The Parquet schema: REQUIRED root, REQUIRED/OPTIONAL leaves, UTC-adjusted micros.
	schemaRows := queryStrings(t, db, "SELECT name, repetition_type, logical_type FROM parquet_schema(?)", path)
	rep := map[string]string{}
	for _, r := range schemaRows {
		rep[r[0]] = r[1]
		if r[0] == "at" || r[0] == "since" {
			if !strings.Contains(r[2], "isAdjustedToUTC=1") || !strings.Contains(r[2], "MICROS=MicroSeconds()") {
				t.Errorf("column %s logical type %s, want TIMESTAMP(MICROS, isAdjustedToUTC=true)", r[0], r[2])
			}
		}
	}
	// The root has no repetition, as the Parquet format says (v15 wrote REPEATED, which strict readers reject).
	if rep["schema"] != "<null>" {
		t.Errorf("root repetition %q, want none (schema: %v)", rep["schema"], schemaRows)
	}
	for _, c := range sinktest.AllTypes().Columns {
		wantRep := "OPTIONAL"
		if c.Required {
			wantRep = "REQUIRED"
		}
		if rep[c.Name] != wantRep {
			t.Errorf("column %s repetition %q, want %q", c.Name, rep[c.Name], wantRep)
		}
	}

	// Every column chunk zstd-compressed, with statistics.
	meta := queryStrings(t, db, `SELECT path_in_schema, compression,
		(stats_min_value IS NOT NULL AND stats_max_value IS NOT NULL) OR stats_null_count = num_values, stats_null_count IS NOT NULL
		FROM parquet_metadata(?)`, path)
	if len(meta) != len(want) {
		t.Errorf("%d column chunks, want %d", len(meta), len(want))
	}
	for _, r := range meta {
		// x and w hold ±Infinity: DuckDB shows no bound for them.
		if r[1] != "ZSTD" || (r[2] != "true" && r[0] != "x" && r[0] != "w") || r[3] != "true" {
			t.Errorf("column chunk %s: compression %s, min/max %s, null count %s", r[0], r[1], r[2], r[3])
		}
	}
	kv := queryStrings(t, db, "SELECT decode(key), decode(value) FROM parquet_kv_metadata(?) WHERE decode(key) LIKE 'ouraexport.%'", path)
	if len(kv) != 5 {
		t.Errorf("ouraexport key-value metadata: %v", kv)
	}
}

// TestDuckDBValues compares the values DuckDB reads with those written.
func TestDuckDBValues(t *testing.T) {
	root, _ := export(t, false, 128<<10)
	db := duck(t)
	path := filepath.Join(root, "alltypes.parquet")
	rows, err := db.Query(`SELECT id, label, datediff('day', DATE '1970-01-01', day), epoch_us("at"), n, x, s, j, b,
		datediff('day', DATE '1970-01-01', "on"), epoch_us(since), ok, w FROM read_parquet(?) ORDER BY id`, path)
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
		got = append(got, []any{id, label, nullInt(day), nullInt(at), nullInt(n), nullFloat(x), nullString(s), nullString(j), nullBool(b), on, since, ok, w})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := sinktest.Canonical(sinktest.AllTypes(), sinktest.AllTypesRows())
	got = sinktest.Canonical(sinktest.AllTypes(), got)
	if len(got) != len(want) {
		t.Fatalf("DuckDB reads %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		for c := range want[i] {
			if !sinktest.Equal(got[i][c], want[i][c]) {
				t.Errorf("row %d column %s: DuckDB reads %#v, want %#v", i, sinktest.AllTypes().Columns[c].Name, got[i][c], want[i][c])
			}
		}
	}

	var n int64
	var sum float64
	if err := db.QueryRow("SELECT count(*), sum(bpm) FROM read_parquet(?)", filepath.Join(root, "samples.parquet")).Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	var wantSum float64
	for _, r := range sinktest.SampleRows(30_000) {
		wantSum += float64(r[3].(int64))
	}
	if n != 30_000 || math.Abs(sum-wantSum) > 0.5 {
		t.Errorf("samples: %d rows, sum(bpm) %v; want 30000, %v", n, sum, wantSum)
	}
	var empty int64
	if err := db.QueryRow("SELECT count(*) FROM read_parquet(?)", filepath.Join(root, "empty.parquet")).Scan(&empty); err != nil || empty != 0 {
		t.Errorf("empty table: %d rows, %v", empty, err)
	}
}

// TestDuckDBHive reads a partitioned export with hive_partitioning=true.
func TestDuckDBHive(t *testing.T) {
	root, _ := export(t, true, 0)
	db := duck(t)
	got := queryStrings(t, db, "SELECT year, count(*) FROM read_parquet(?, hive_partitioning=true) GROUP BY year ORDER BY year",
		filepath.Join(root, "samples", "*", "*.parquet"))
	if len(got) != 2 || got[0][0] != "2023" || got[1][0] != "2024" || got[0][1] != "720" || got[1][1] != "29280" {
		t.Errorf("samples by year: %v, want 2023 (720 rows) and 2024 (29280)", got)
	}
	typ := queryStrings(t, db, "SELECT column_type FROM (DESCRIBE SELECT year FROM read_parquet(?, hive_partitioning=true))",
		filepath.Join(root, "samples", "*", "*.parquet"))
	if len(typ) != 1 || typ[0][0] != "BIGINT" {
		t.Errorf("year column type %v, want BIGINT", typ)
	}
	nulls := queryStrings(t, db, `SELECT count(*) FROM read_parquet(?, hive_partitioning=true) WHERE year IS NULL AND "at" IS NULL`,
		filepath.Join(root, "alltypes", "*", "*.parquet"))
	total := queryStrings(t, db, `SELECT count(*) FROM read_parquet(?, hive_partitioning=true) WHERE "at" IS NULL`,
		filepath.Join(root, "alltypes", "*", "*.parquet"))
	if nulls[0][0] != total[0][0] || nulls[0][0] == "0" {
		t.Errorf("rows with a null partition value: %v in the default partition, %v in all", nulls, total)
	}
	if n := queryStrings(t, db, "SELECT count(*) FROM read_parquet(?, hive_partitioning=true)", filepath.Join(root, "alltypes", "*", "*.parquet")); n[0][0] != strconv.Itoa(len(sinktest.AllTypesRows())) {
		t.Errorf("alltypes: %v rows", n)
	}
}

func nullInt(v sql.NullInt64) any {
	if !v.Valid {
		return nil
	}
	return v.Int64
}

func nullFloat(v sql.NullFloat64) any {
	if !v.Valid {
		return nil
	}
	return v.Float64
}

func nullString(v sql.NullString) any {
	if !v.Valid {
		return nil
	}
	return v.String
}

func nullBool(v sql.NullBool) any {
	if !v.Valid {
		return nil
	}
	return v.Bool
}
