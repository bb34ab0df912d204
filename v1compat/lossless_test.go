package v1compat_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/v1compat"
	"github.com/ouraexport/ouraexport/v1compat/internal/v1test"
)

const samplesV1 = "../testdata/oura/samples/v1"

type rows = v1test.Rows

var mapRecords = v1test.MapRecords

// walkLossless maps doc and runs the zero-loss walk; it returns the rows.
func walkLossless(t *testing.T, k v1compat.Kind, doc []byte, origin schema.Origin) rows {
	t.Helper()
	got := mapRecords(t, k, origin, doc)
	v1test.Lossless(t, k, doc, origin, got)
	return got
}

// v1Sample is a v1 record of the documentation examples.
type v1Sample struct {
	name string
	kind v1compat.Kind
	doc  []byte
}

func docSamples(t testing.TB) []v1Sample {
	t.Helper()
	var out []v1Sample
	files, err := filepath.Glob(filepath.Join(samplesV1, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		base := filepath.Base(f)
		if strings.Contains(base, "userinfo") {
			out = append(out, v1Sample{base, v1compat.UserInfo, body})
			continue
		}
		for _, k := range []v1compat.Kind{v1compat.Sleep, v1compat.Activity, v1compat.Readiness, v1compat.Bedtime} {
			if !strings.Contains(base, string(k)) {
				continue
			}
			docs, err := v1compat.DecodeEnvelope(v1compat.Envelope(k), body)
			if err != nil {
				t.Fatalf("%s: %v", base, err)
			}
			for i, d := range docs {
				out = append(out, v1Sample{fmt.Sprintf("%s[%d]", base, i), k, d})
			}
		}
	}
	if len(out) < 6 {
		t.Fatalf("only %d v1 samples", len(out))
	}
	return out
}

// TestLosslessV1Samples is the zero-loss walk for the v1 documentation
// examples: every leaf of every record is found in a column whose v1 field
// it is (with the mapping's conversion), in a child row, or in extra.
func TestLosslessV1Samples(t *testing.T) {
	for _, s := range docSamples(t) {
		t.Run(s.name, func(t *testing.T) {
			if err := v1compat.Check(s.kind, s.doc); err != nil {
				t.Errorf("Check: %v", err)
			}
			walkLossless(t, s.kind, s.doc, schema.OriginV1)
		})
	}
}

// TestLosslessV1Sandbox walks the sandbox's v1 records of a month (and its
// user info): every field of a full record, gaps and all.
func TestLosslessV1Sandbox(t *testing.T) {
	w := newWorld(t, "2024-02-01", "2024-03-05", nil)
	from, to := w.Since.AddDate(0, 0, 3), w.Until
	for _, k := range []v1compat.Kind{v1compat.Sleep, v1compat.Activity, v1compat.Readiness, v1compat.Bedtime, v1compat.UserInfo} {
		n := 0
		for doc, err := range w.Srv.V1Documents(1, string(k), from, to) {
			if err != nil {
				t.Fatal(err)
			}
			if err := v1compat.Check(k, doc); err != nil {
				t.Errorf("%s: Check: %v", k, err)
			}
			walkLossless(t, k, doc, schema.OriginV1)
			n++
		}
		if n == 0 {
			t.Errorf("%s: no sandbox records", k)
		}
	}
}

// TestLosslessOddV1 maps records with unknown fields, wrong types, duplicate
// keys and zero markers: nothing may be lost.
func TestLosslessOddV1(t *testing.T) {
	tests := []struct {
		kind  v1compat.Kind
		doc   string
		extra string
	}{
		{v1compat.Sleep, `{"summary_date":"2020-01-01","period_id":1,"is_longest":1,"timezone":60,"bedtime_start":"2020-01-01T23:00:00+01:00","bedtime_end":"2020-01-02T07:00:00+01:00","score":0,"hr_lowest":"low","lowest_heart_rate_time_offset":1200,"hr_5min":[0,60,"x"],"hypnogram_5min":"12x4","score":5}`,
			`{"hr_lowest":"low","lowest_heart_rate_time_offset":1200,"hr_5min":[0,60,"x"],"score":5}`},
		{v1compat.Sleep, `{"summary_date":"2020-01-01","timezone":-300,"bedtime_start":"2020-01-01T23:00:00","bedtime_end":"2020-01-02T07:00:00+01:00","is_longest":2}`,
			`{"is_longest":2}`},
		{v1compat.Activity, `{"summary_date":"2020-01-01","day_start":"2020-01-01T04:00:00+02:00","timezone":120,"low":12.5,"met_1min":[1,"a",2],"class_5min":"0125x","steps":null,"new":{"a":[]}}`,
			`{"low":12.5,"met_1min":[1,"a",2],"new":{"a":[]}}`},
		{v1compat.Activity, `{"summary_date":"2020-01-01","day_start":"2020-01-01T04:00:00+03:00","timezone":120}`,
			`{"timezone":120}`},
		{v1compat.Readiness, `{"summary_date":"2020-01-01","score":0,"score_hrv_balance":0,"period_id":"p"}`, `{"period_id":"p"}`},
		{v1compat.Bedtime, `{"date":"2020-01-01","bedtime_window":{"start":-3600,"end":0,"x":1},"status":7}`,
			`{"bedtime_window":{"start":-3600,"end":0,"x":1},"status":7}`},
		{v1compat.UserInfo, `{"age":"","weight":"","height":170.5,"gender":"","email":"a@b","user_id":"U1","date":"2019-02-03"}`,
			`{"date":"2019-02-03"}`},
		{v1compat.RestfulPeriod, `{"summary_date":"2020-01-01","period_id":2,"timezone":60,"bedtime_start":"2020-01-01T13:00:00+01:00","bedtime_end":"2020-01-01T13:30:00+01:00","duration":1800,"breath_average":14.5,"hr_average":null}`, ``},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(i, tt.kind), func(t *testing.T) {
			got := walkLossless(t, tt.kind, []byte(tt.doc), schema.OriginImport)
			main := v1compat.Tables(tt.kind)[0].Name
			if tt.kind == v1compat.Sleep {
				main = "sleep"
			}
			var extra any
			if tt.extra != "" {
				extra = tt.extra
			}
			if x := got[main][0]["extra"]; !reflect.DeepEqual(x, extra) {
				t.Errorf("extra = %v, want %v", x, extra)
			}
		})
	}
}
