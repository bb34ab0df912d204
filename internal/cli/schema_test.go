package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ouraexport/ouraexport/schema"
)

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := Main(context.Background(), args, Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
	return out.String(), err
}

func TestSchemaText(t *testing.T) {
	out, err := runCLI(t, "schema")
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(line); n > schemaWidth {
			t.Errorf("line %d is %d columns wide: %q", i+1, n, line)
		}
	}
	for _, tb := range schema.Tables() {
		heading := "\n" + tb.Name + "\n" + strings.Repeat("=", len(tb.Name)) + "\n"
		if !strings.Contains(out, heading) {
			t.Errorf("no section for table %s", tb.Name)
		}
		for _, c := range tb.Columns {
			if !strings.Contains(out, "\n  "+c.Name+" ") {
				t.Errorf("table %s: column %s is not listed", tb.Name, c.Name)
			}
		}
	}
	for _, want := range []string{
		"Unified schema version 1:",
		"readiness_contributors_hrv_balance",
		"[v2 readiness.contributors.hrv_balance]",
		"[v2 contributors.restfulness; v1 score_disturbances]",
		"partitioned by the year of day",
		"child of sleep; key sleep_id + seq",
		"\n      sleep_heart_rate\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	for _, re := range []string{`\n  bedtime_start +timestamp, UTC\n`, `\n  time_in_bed +int \(s\)\n`, `\n  seq +int, never null\n`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("output does not match %s", re)
		}
	}
}

func TestSchemaJSON(t *testing.T) {
	out, err := runCLI(t, "schema", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Version     *int   `json:"schema_version"`
		Conventions string `json:"conventions"`
		Tables      []map[string]json.RawMessage
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if d.Version == nil || *d.Version != schema.Version || d.Conventions == "" {
		t.Errorf("schema_version %v, conventions %q", d.Version, d.Conventions)
	}
	if len(d.Tables) != len(schema.Tables()) {
		t.Fatalf("%d tables, want %d", len(d.Tables), len(schema.Tables()))
	}
	for i, tb := range schema.Tables() {
		got := d.Tables[i]
		for _, k := range []string{"name", "meaning", "v2_collection", "parent", "key", "partition_by", "columns"} {
			if _, ok := got[k]; !ok {
				t.Errorf("table %s lacks %q", tb.Name, k)
			}
		}
		var cols []map[string]any
		if err := json.Unmarshal(got["columns"], &cols); err != nil || len(cols) != len(tb.Columns) {
			t.Fatalf("table %s: columns %v, %d of %d", tb.Name, err, len(cols), len(tb.Columns))
		}
		for j, c := range tb.Columns {
			for _, k := range []string{"name", "type", "unit", "time_zone", "meaning", "v2_field", "v1_field", "required"} {
				if _, ok := cols[j][k]; !ok {
					t.Errorf("%s.%s lacks %q", tb.Name, c.Name, k)
				}
			}
			if cols[j]["name"] != c.Name || cols[j]["type"] != c.Type.String() || cols[j]["meaning"] != c.Doc {
				t.Errorf("%s.%s described as %v", tb.Name, c.Name, cols[j])
			}
		}
	}
	var full schema.Description
	if err := json.Unmarshal([]byte(out), &full); err != nil {
		t.Fatal(err)
	}
	for _, tb := range full.Tables {
		if tb.Name == "sleep_heart_rate" && (tb.Parent == nil || *tb.Parent != "sleep" || tb.PartitionBy == nil || *tb.PartitionBy != "timestamp" || tb.Collection != "sleep") {
			t.Errorf("sleep_heart_rate described as %+v", tb)
		}
		if tb.Name == "personal_info" && (tb.Parent != nil || tb.PartitionBy != nil) {
			t.Errorf("personal_info described as %+v", tb)
		}
	}
}

func TestSchemaSelect(t *testing.T) {
	out, err := runCLI(t, "schema", "--json", "sleep_hrv", "vO2_max")
	if err != nil {
		t.Fatal(err)
	}
	var d schema.Description
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Tables) != 2 || d.Tables[0].Name != "sleep_hrv" || d.Tables[1].Name != "vo2_max" {
		t.Errorf("selected %+v", d.Tables)
	}
	text, err := runCLI(t, "schema", "heartrate")
	if err != nil || strings.Contains(text, "Unified schema version") || !strings.Contains(text, "\nheartrate\n") {
		t.Errorf("schema heartrate = %v:\n%s", err, text)
	}
}

func TestSchemaUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"schema", "nope"}, {"schema", "--bogus"}} {
		_, err := runCLI(t, args...)
		var u *UsageError
		if !errors.As(err, &u) || u.Cmd != "schema" {
			t.Errorf("%v: error %v, want a usage error", args, err)
		}
	}
}
