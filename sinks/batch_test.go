package sinks_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
	"github.com/ouraexport/ouraexport/sinks/sinktest"
)

func TestCheckBatch(t *testing.T) {
	samples := sinktest.Samples()
	good := func() *schema.Batch {
		b := schema.NewBatch(samples, 3)
		sinktest.Fill(b, sinktest.SampleRows(3))
		return b
	}
	cases := []struct {
		name string
		edit func(b *schema.Batch) *schema.Batch
		want string // in the error; "" for none
	}{
		{"good", func(b *schema.Batch) *schema.Batch { return b }, ""},
		{"empty", func(*schema.Batch) *schema.Batch { return schema.NewBatch(samples, 0) }, ""},
		{"other table", func(*schema.Batch) *schema.Batch { return schema.NewBatch(sinktest.Empty(), 0) }, "not a table of this export"},
		{"null required", func(b *schema.Batch) *schema.Batch { b.Cols[0].Valid[2] = false; return b }, "row 2: required column origin is null"},
		{"short validity", func(b *schema.Batch) *schema.Batch { b.Cols[4].Valid = b.Cols[4].Valid[:1]; return b }, "column source has 3 values and 1 validity"},
		{"wrong type", func(b *schema.Batch) *schema.Batch { b.Cols[3].Type = schema.Float; return b }, "column 3 is bpm float"},
		{"missing column", func(b *schema.Batch) *schema.Batch { b.Cols = b.Cols[:4]; return b }, "4 columns, the table has 5"},
		{"date range", func(b *schema.Batch) *schema.Batch { b.Cols[1].Int[0] = sinks.MaxDate + 1; return b }, "out of range"},
		{"utf-8", func(b *schema.Batch) *schema.Batch { b.Cols[4].Str[0], b.Cols[4].Valid[0] = "a\xffb", true; return b }, "not valid UTF-8"},
		{"null slot ignored", func(b *schema.Batch) *schema.Batch { b.Cols[4].Str[0], b.Cols[4].Valid[0] = "a\xffb", false; return b }, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := sinks.CheckBatch(samples, c.edit(good()))
			switch {
			case c.want == "" && err != nil:
				t.Errorf("got %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("got %v, want %q", err, c.want)
			}
		})
	}
	all := sinktest.AllTypes()
	b := schema.NewBatch(all, 1)
	row := sinktest.AllTypesRows()[0]
	row[7] = "{bad"
	sinktest.Fill(b, [][]any{row})
	if err := sinks.CheckBatch(all, b); err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Errorf("invalid JSON: got %v", err)
	}
}

func TestRuns(t *testing.T) {
	samples := sinktest.Samples() // partitioned by day
	b := schema.NewBatch(samples, 8)
	d := sinktest.Date
	for _, day := range []int64{d(2023, 12, 31), d(2023, 1, 1), d(2024, 1, 1), d(2024, 6, 1), d(2023, 5, 5)} {
		r := b.Append()
		r.SetInt(1, day)
	}
	all := sinktest.AllTypes() // partitioned by a nullable timestamp
	ab := schema.NewBatch(all, 4)
	ab.Append()
	ab.Append().SetInt(3, -1) // 1969-12-31T23:59:59.999999Z
	ab.Append()

	cases := []struct {
		b    *schema.Batch
		want []sinks.Run
	}{
		{b, []sinks.Run{{sinks.Partition{Year: 2023}, 0, 2}, {sinks.Partition{Year: 2024}, 2, 4}, {sinks.Partition{Year: 2023}, 4, 5}}},
		{ab, []sinks.Run{{sinks.Partition{Null: true}, 0, 1}, {sinks.Partition{Year: 1969}, 1, 2}, {sinks.Partition{Null: true}, 2, 3}}},
		{schema.NewBatch(samples, 0), nil},
	}
	for _, c := range cases {
		if got := sinks.Runs(nil, c.b); !slices.Equal(got, c.want) {
			t.Errorf("Runs = %v, want %v", got, c.want)
		}
	}
	if p := (sinks.Partition{Year: 2024}).Path(samples, ".parquet"); p != "samples/year=2024/part-0.parquet" {
		t.Errorf("Path = %s", p)
	}
	if p := (sinks.Partition{Null: true}).Path(samples, ".csv"); p != "samples/year=__HIVE_DEFAULT_PARTITION__/part-0.csv" {
		t.Errorf("Path = %s", p)
	}
}

func TestOptionsValidate(t *testing.T) {
	d, _ := localDir(t)
	badPart := sinktest.Samples()
	badPart.Partition = "bpm"
	noCol := sinktest.Samples()
	noCol.Partition = "nope"
	badName := sinktest.Samples()
	badName.Name = "../x"
	dupCol := sinktest.Samples()
	dupCol.Columns = append(dupCol.Columns, dupCol.Columns[0])
	cases := map[string]sinks.Options{
		"no dir":            {Tables: sinktest.Tables()},
		"negative budget":   {Dir: d, MemoryBudget: -1},
		"bad archive name":  {Dir: d, Name: "a/b"},
		"repeated table":    {Dir: d, Tables: []*schema.Table{sinktest.Samples(), sinktest.Samples()}},
		"partition by int":  {Dir: d, Tables: []*schema.Table{badPart}},
		"partition missing": {Dir: d, Tables: []*schema.Table{noCol}},
		"table name":        {Dir: d, Tables: []*schema.Table{badName}},
		"repeated column":   {Dir: d, Tables: []*schema.Table{dupCol}},
		"nil table":         {Dir: d, Tables: []*schema.Table{nil}},
	}
	for name, o := range cases {
		if err := o.Validate(); err == nil {
			t.Errorf("%s: Validate accepted it", name)
		}
		if _, err := sinks.Open("csv", o); err == nil {
			t.Errorf("%s: Open accepted it", name)
		}
	}
	if err := (sinks.Options{Dir: d, Tables: sinktest.Tables()}).Validate(); err != nil {
		t.Error(err)
	}
	if got := (sinks.Options{}).Budget(); got != sinks.DefaultMemoryBudget {
		t.Errorf("default budget %d", got)
	}
}

func TestRegistry(t *testing.T) {
	if got := sinks.Names(); !slices.Equal(got, []string{"archive", "csv", "parquet"}) {
		t.Errorf("Names = %v", got)
	}
	d, _ := localDir(t)
	if _, err := sinks.Open("xlsx", sinks.Options{Dir: d}); err == nil || !strings.Contains(err.Error(), "archive, csv, parquet") {
		t.Errorf("Open of an unknown format: %v", err)
	}
}
