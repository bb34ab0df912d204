package importer

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/schema"
)

// collector keeps what a parser emits and checks each document: a JSON
// object its collection maps without error.
type collector struct {
	t    *testing.T
	m    *schema.Mapper
	docs int
}

func newCollector(t *testing.T) *collector {
	return &collector{t: t, m: schema.NewMapper(1<<20, func(*schema.Batch) error { return nil })}
}

func (c *collector) emit(coll *exporter.Collection, doc []byte, line int) error {
	c.t.Helper()
	if coll == nil {
		c.t.Fatal("a document without a collection")
	}
	if !json.Valid(doc) || doc[0] != '{' {
		c.t.Fatalf("%s: emitted %q, not a JSON object", coll.Name, doc)
	}
	if line < 0 {
		c.t.Fatalf("line %d", line)
	}
	if coll.Map != nil {
		if err := coll.Map(c.m, doc); err != nil {
			c.t.Fatalf("%s: a document the parser made does not map: %v\n%s", coll.Name, err, doc)
		}
	}
	c.docs++
	return nil
}

// seedFiles are small files of every kind.
var seedFiles = []string{
	"date,Sleep Score,Total Bedtime ,Bedtime Start,Activity Score,Steps,Readiness Score,Odd,\r\n2021-04-18,80,25200,2021-04-17T23:10:00+03:00,70,9000,75,x,\r\n4/19/2021,None,,None,71,9100.0,None,,\r\n",
	"date,average_rhr,sleep_score,activity_score,readiness_score\n2019-01-01,55.5,80,70,60\n",
	"date,Sleep Score,Sleep Tranquility Score,Activity Score\n2020-02-02,81,77,66\n",
	"id,contributors_deep_sleep,contributors_efficiency,day,score,timestamp\nx1,90,80,2024-01-01,85,2024-01-01T00:00:00+00:00\n,1,2,2024-01-02,,\n",
	"bedtime_start,bedtime_end,day,heart_rate_5_min,hrv_5_min,sleep_phase_5_min,low_battery_alert,type,timezone\n2024-01-01T00:00:00+02:00,2024-01-01T07:00:00+02:00,2024-01-01,60;None;61;,40;;,4412,True,long_sleep,120\n",
	"timestamp,bpm,quality,source,restorative\n2024-01-01T00:00:00Z,60,good,awake,False\n2024-01-01T00:05:00Z,abc,,rest,\n",
	"date,status,bedtime_window_start,bedtime_window_end\n2020-03-17,IDEAL_BEDTIME_AVAILABLE,-3600,0\n2020-03-18,NOT_ENOUGH_DATA,None,None\n",
	"id;contributors;day;score;timestamp\r\nabc;{\"deep_sleep\": 95, \"efficiency\": 65};2025-12-03;71;2025-12-03T00:00:00.000+00:00\r\n",
	"id;met;class_5_min;day;steps\r\na;{\"interval\":60,\"items\":[1.0,null],\"timestamp\":\"2024-01-01T04:00:00+02:00\"};0123;2024-01-01;5\r\n",
	`{"sleep":[{"summary_date":"2020-01-01","bedtime_start":"2020-01-01T23:00:00+01:00","hr_5min":[0,1],"is_longest":1}],"activity":[{"summary_date":"2020-01-01","met_1min":[1.5]}],"readiness":[],"restful_periods":[{"summary_date":"2020-01-01","bedtime_start":"2020-01-01T13:00:00+01:00"}],"other":7}`,
	`{"heart_rate":[{"timestamp":"2024-01-01T00:00:00+00:00","bpm":60,"source":"awake"}]}`,
	`{"daily_sleep":[{"day":"2024-01-01","score":80,"contributors":{"deep_sleep":90}}],"bedtime":[{"date":"2020-01-01","bedtime_window_start":-60,"bedtime_window_end":0,"status":"X"}]}`,
	`{"data":[{"id":"a","day":"2024-01-01","stress_high":100,"recovery_high":50,"day_summary":"normal"}],"next_token":null}`,
	`{"age":27,"weight":80,"gender":"male","email":"john.doe@the.domain"}`,
	`{"id":"p","age":40,"biological_sex":"female"}`,
	"{\"day\":\"2024-01-01\",\"score\":1}\n{\"day\":\"2024-01-02\",\"score\":2}\n",
	`[{"id":"w","activity":"walking","intensity":"easy","start_datetime":"2024-01-01T10:00:00+00:00","end_datetime":"2024-01-01T11:00:00+00:00","day":"2024-01-01","source":"manual"}]`,
	`{"status":400,"title":"x"}`,
	"\xef\xbb\xbfdate,Temperature Deviation (\xb0C),Sleep Score\n2022-01-01,0.1,70\n",
}

func addFileSeeds(f *testing.F) {
	for _, s := range seedFiles {
		f.Add([]byte(s))
	}
	files, _ := filepath.Glob("../../testdata/oura/samples/*/*")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

// FuzzParseCSV: any bytes read as CSV either fail with an error or give
// documents that are JSON objects their collection maps.
func FuzzParseCSV(f *testing.F) {
	addFileSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		c := newCollector(t)
		kind, err := parseCSV(bytes.NewReader(data), c)
		if err == nil && kind == "" {
			t.Fatal("no kind and no error")
		}
		if err := c.m.Flush(); err != nil {
			t.Fatalf("mapped rows miss a required column: %v", err)
		}
	})
}

// FuzzParseJSON: any bytes read as JSON either fail with an error or give
// documents that are JSON objects their collection maps, and what is not
// recognised is returned as a JSON object.
func FuzzParseJSON(f *testing.F) {
	addFileSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		c := newCollector(t)
		_, rest, err := parseJSON(data, c)
		if err != nil {
			var le *lineError
			if err != errUnknown && !asLineError(err, &le) {
				t.Fatalf("an error without a line: %v", err)
			}
			return
		}
		if rest != nil && (!json.Valid(rest) || rest[0] != '{') {
			t.Fatalf("rest %q is not a JSON object", rest)
		}
	})
}

func asLineError(err error, le **lineError) bool {
	e, ok := err.(*lineError)
	*le = e
	return ok
}

// FuzzFlatRow: a row of any cells under any header becomes a v2 document
// its collection maps.
func FuzzFlatRow(f *testing.F) {
	f.Add(uint8(0), "id,contributors_deep_sleep,day,score", "x,90,2024-01-01,None")
	f.Add(uint8(3), "bedtime_start,heart_rate_5_min,hrv_12_sec,readiness_score", "2024-01-01T00:00:00Z,1;2;None;,;;,\"7")
	f.Add(uint8(9), "contributors,met,heart_rate,tags,episodes", "{\"a\":1},[1],{,[\"x\"],[{}]")
	plans := exporter.V2Collections(nil)
	f.Fuzz(func(t *testing.T, coll uint8, header, row string) {
		c := plans[int(coll)%len(plans)]
		p := allPlans()[c.Name]
		doc := p.row(strings.Split(header, ","), strings.Split(row, ","))
		col := newCollector(t)
		col.emit(importV2(c.Name), doc, 1)
	})
}

// FuzzImport runs a whole import of any bytes, as a file and inside a zip:
// it never panics, and what it stores builds.
func FuzzImport(f *testing.F) {
	addFileSeeds(f)
	var z bytes.Buffer
	zw := zip.NewWriter(&z)
	w, _ := zw.Create("App Data/dailysleep.csv")
	w.Write([]byte(seedFiles[7]))
	zw.Close()
	f.Add(z.Bytes())
	// An ouraexport archive: manifest, raw documents of v2, v1 and of a
	// collection this version does not know, and a data/ entry.
	z.Reset()
	zw = zip.NewWriter(&z)
	for name, body := range map[string]string{
		"manifest.json":           `{"subject":{"id":"u1","email":"a@b.c"},"files":[]}`,
		"raw/v1_sleep.ndjson":     `{"summary_date":"2020-01-01","bedtime_start":"2020-01-01T23:00:00+01:00","hr_5min":[0,50],"score":80}` + "\n",
		"raw/daily_sleep.ndjson":  `{"id":"a","day":"2024-01-01","score":80,"contributors":{"deep_sleep":90}}` + "\n\n",
		"raw/future.ndjson":       `{"x":1}` + "\n",
		"data/daily_sleep.ndjson": `{"id":"a"}` + "\n",
	} {
		w, _ := zw.Create(name)
		w.Write([]byte(body))
	}
	zw.Close()
	f.Add(z.Bytes())
	// A zip with an entry named outside it: refused.
	z.Reset()
	zw = zip.NewWriter(&z)
	w, _ = zw.Create("../../dailysleep.csv")
	w.Write([]byte(seedFiles[7]))
	zw.Close()
	f.Add(z.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		p := filepath.Join(dir, "in")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := exporter.OpenStore(filepath.Join(dir, "store"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		res, err := Import(context.Background(), Options{Store: st, Paths: []string{p}})
		if err != nil {
			if !errors.Is(err, ErrBadFile) {
				t.Fatalf("an error that names no file: %v", err)
			}
			// All or nothing: a file that fails leaves no segment behind.
			for _, c := range append(Collections(), archiveCollectionsList()...) {
				if segs, _ := st.Segments(c.API, c.Name); len(segs) > 0 {
					t.Fatalf("a failed import stored %s", c.Name)
				}
			}
			return
		}
		m := schema.NewMapper(1<<20, func(*schema.Batch) error { return nil })
		for _, c := range archiveCollectionsList() {
			segs, err := st.Segments(c.API, c.Name)
			if err != nil {
				t.Fatal(err)
			}
			mapDoc := func(doc []byte) error {
				if c.Map == nil {
					return m.MapV2(c.Name, doc, schema.OriginV2)
				}
				return c.Map(m, doc)
			}
			for _, s := range segs {
				if err := st.Read(s, mapDoc); err != nil {
					t.Fatalf("%s: %v", c.Name, err)
				}
			}
		}
		if err := m.Flush(); err != nil {
			t.Fatalf("what the import stored does not build: %v", err)
		}
		_ = res
	})
}

func archiveCollectionsList() []*exporter.Collection {
	var out []*exporter.Collection
	for _, c := range archiveCollections() {
		out = append(out, c)
	}
	return out
}

// TestLines: the incremental line counter agrees with lineAt, offsets
// increasing or not.
func TestLines(t *testing.T) {
	b := []byte("{\n\"a\": [\n{},\n\n{}\n]\n}")
	ln := newLines(b)
	for _, off := range []int{0, 1, 2, 9, 9, 12, 13, 4, 14, 17, len(b), len(b) + 5} {
		if got, want := ln.at(off), lineAt(b, off); got != want {
			t.Errorf("line of offset %d: %d, want %d", off, got, want)
		}
	}
}
