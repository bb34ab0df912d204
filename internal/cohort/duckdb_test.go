package cohort_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/cohort"
	"github.com/ouraexport/ouraexport/sinks"
)

// TestDuckDBDataset reads a local cohort that spans a new year in DuckDB as
// one Hive-partitioned dataset per table, in Parquet and in CSV: the
// participant and year columns come from the paths, and the rows per
// participant and year are those the manifests list.
func TestDuckDBDataset(t *testing.T) {
	w := newWorld(t, 3, "2023-12-29", "2024-01-03", nil)
	out := filepath.Join(t.TempDir(), "cohort")
	o := w.options(w.accounts(t, 3, nil), local(t, out))
	o.Account.Formats = []string{"parquet", "csv"}
	keep := []string{"personal_info", "daily_sleep", "heartrate", "sleep"}
	o.Account.Fetch.Collections = slices.DeleteFunc(o.Account.Fetch.Collections, func(c *exporter.Collection) bool { return !slices.Contains(keep, c.Name) })
	if _, err := cohort.Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	// What the participants' manifests say: rows per table, participant, year.
	want := map[string]int64{}
	re := regexp.MustCompile(`^(?:csv/)?([a-z0-9_]+)/year=(\d{4})/part-0\.(parquet|csv)$`)
	for n := 1; n <= 3; n++ {
		d, err := sinks.LocalDir(filepath.Join(out, cohort.FolderPrefix+id(n)))
		if err != nil {
			t.Fatal(err)
		}
		m, err := sinks.ReadManifest(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m.Files {
			if g := re.FindStringSubmatch(f.Path); g != nil {
				want[fmt.Sprintf("%s %s %s %s", g[3], g[1], id(n), g[2])] += f.Rows
			}
		}
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, table := range []string{"daily_sleep", "heartrate", "sleep"} {
		for _, format := range []string{"parquet", "csv"} {
			t.Run(table+" "+format, func(t *testing.T) {
				// The README's queries: Parquet at the top of each
				// participant's folder, CSV below csv/.
				glob := filepath.ToSlash(filepath.Join(out, "participant=*", table, "year=*", "*.parquet"))
				reader := "read_parquet"
				if format == "csv" {
					glob = filepath.ToSlash(filepath.Join(out, "participant=*", cohort.CSVFolder, table, "year=*", "*.csv"))
					reader = "read_csv"
				}
				q := fmt.Sprintf(`SELECT participant, year, typeof(year), count(*) FROM %s('%s', hive_partitioning=true) GROUP BY ALL ORDER BY ALL`, reader, glob)
				rows, err := db.Query(q)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				got := map[string]int64{}
				years := map[string]bool{}
				for rows.Next() {
					var participant, year, typ string
					var n int64
					if err := rows.Scan(&participant, &year, &typ, &n); err != nil {
						t.Fatal(err)
					}
					if !strings.Contains(strings.ToLower(typ), "int") {
						t.Errorf("year is a %s, not an integer", typ)
					}
					got[fmt.Sprintf("%s %s %s %s", format, table, participant, year)] = n
					years[year] = true
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				if !years["2023"] || !years["2024"] {
					t.Errorf("years %v: the history spans 2023 and 2024", years)
				}
				for k, n := range want {
					if strings.HasPrefix(k, format+" "+table+" ") && got[k] != n {
						t.Errorf("%s: DuckDB reads %d rows, the manifest lists %d", k, got[k], n)
					}
				}
				for k := range got {
					if _, ok := want[k]; !ok {
						t.Errorf("%s: DuckDB reads rows the manifests do not list", k)
					}
				}
			})
		}
	}
}
