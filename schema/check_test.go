package schema

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestCheckV2AcceptsRealDocuments(t *testing.T) {
	for _, d := range allDocs(t) {
		if err := CheckV2(d.coll, d.raw); err != nil {
			t.Errorf("%s: %v", d.name, err)
		}
	}
}

func TestCheckV2Rejects(t *testing.T) {
	const sleep = `"id":"s","day":"2024-10-10","period":0,"bedtime_start":"2024-10-10T01:00:00+02:00","bedtime_end":"2024-10-10T09:00:00+02:00","time_in_bed":28800,"low_battery_alert":false`
	tests := []struct {
		name, coll, doc string
		want            []string // substrings of the problems, in order
	}{
		{"not JSON", "sleep", `{"id":`, []string{"invalid JSON at byte 6"}},
		{"not an object", "sleep", `[{"id":"s"}]`, []string{"must be a JSON object"}},
		{"trailing data", "sleep", `{` + sleep + `} {}`, []string{"data after the document"}},
		{"not UTF-8", "daily_stress", "{\"id\":\"\xff\",\"day\":\"2024-11-11\"}", []string{"not valid UTF-8"}},
		{"missing required", "sleep", `{"id":"s"}`, []string{"missing required field day", "missing required field period", "missing required field bedtime_start", "missing required field bedtime_end", "missing required field time_in_bed", "missing required field low_battery_alert"}},
		{"missing nested required", "daily_resilience", `{"id":"r","day":"2024-11-11","level":"solid","contributors":{"stress":1.5}}`, []string{"missing required field contributors.sleep_recovery", "missing required field contributors.daytime_recovery"}},
		{"missing in a sample", "sleep", `{` + sleep + `,"hrv":{"items":[1]}}`, []string{"missing required field hrv.interval", "missing required field hrv.timestamp"}},
		{"missing in an episode", "rest_mode_period", `{"id":"r","start_day":"2024-03-17","episodes":[{"tags":[]}]}`, []string{"missing required field episodes[].timestamp"}},
		{"wrong types", "sleep", `{` + sleep + `,"efficiency":"83","average_breath":true,"type":1,"readiness":[]}`, []string{"efficiency: want an integer, got \"83\"", "average_breath: want a number", "type: want a string", "readiness: want an object"}},
		{"fraction in an integer", "heartrate", `{"timestamp":"2024-12-13T12:31:21+00:00","bpm":61.5,"source":"awake"}`, []string{"bpm: want an integer, got 61.5"}},
		{"bad formats", "daily_stress", `{"id":"d","day":"11/11/2024"}`, []string{"day: want a date YYYY-MM-DD"}},
		{"bad instant", "vO2_max", `{"id":"v","day":"2023-09-17","timestamp":"noon","vo2_max":50}`, []string{"timestamp: want a date-time"}},
		{"null item type", "session", `{"id":"x","day":"2024-10-12","start_datetime":"2024-10-12T21:30:00+02:00","end_datetime":"2024-10-12T21:35:00+02:00","type":"rest","motion_count":{"interval":5,"items":[1,"2"],"timestamp":"2024-10-12T21:30:00+02:00"}}`, []string{"motion_count.items[]: want a number or null, got \"2\""}},
		{"tags not strings", "tag", `{"id":"t","day":"2024-01-20","text":null,"timestamp":"2024-01-20T21:15:00","tags":["a",1]}`, []string{"tags: want an array of strings"}},
		{"duplicate field", "daily_stress", `{"id":"d","day":"2024-11-11","day":"2024-11-12"}`, []string{"duplicate field day"}},
		{"required field null", "workout", `{"id":"w","activity":null,"day":"2024-10-09","end_datetime":"2024-10-09T18:42:11+02:00","intensity":"easy","source":"manual","start_datetime":"2024-10-09T17:58:40+02:00"}`, []string{"activity is null"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckV2(tt.coll, []byte(tt.doc))
			var inv *InvalidError
			if !errors.As(err, &inv) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("CheckV2 = %v, want an *InvalidError", err)
			}
			if inv.Collection != lookupCollection(tt.coll).name {
				t.Errorf("error names collection %q", inv.Collection)
			}
			if len(inv.Problems) != len(tt.want) {
				t.Fatalf("problems %q, want %d like %q", inv.Problems, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(inv.Problems[i], w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, inv.Problems[i], w)
				}
			}
		})
	}
}

func TestCheckV2UnknownFieldsAllowed(t *testing.T) {
	doc := `{"bpm":60,"source":"awake","timestamp":"2024-12-13T12:31:21+00:00","quality":"good","meta":{"version":2}}`
	if err := CheckV2("heartrate", []byte(doc)); err != nil {
		t.Fatal(err)
	}
}

func TestCheckV2UnknownCollection(t *testing.T) {
	err := CheckV2("meal", []byte(`{}`))
	if !errors.Is(err, ErrUnknownCollection) || !strings.Contains(err.Error(), "meal") {
		t.Fatalf("CheckV2(meal) = %v", err)
	}
}

func TestCheckV2CapsProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"id":"x"`)
	for i := 0; i < 50; i++ {
		b.WriteString(`,"day":"x"`)
	}
	b.WriteString(`}`)
	var inv *InvalidError
	if !errors.As(CheckV2("daily_stress", []byte(b.String())), &inv) || len(inv.Problems) != maxProblems {
		t.Fatalf("got %v, want %d problems", inv, maxProblems)
	}
}

// TestCheckedMapsCleanly is the contract between the two: a document that
// passes CheckV2 maps without a misfit, a duplicate or invalid UTF-8.
func TestCheckedMapsCleanly(t *testing.T) {
	docs := allDocs(t)
	for i, d := range oddDocs {
		docs = append(docs, testDoc{coll: d[0], name: "oddDocs[" + strconv.Itoa(i) + "]", raw: []byte(d[1])})
	}
	for _, d := range docs {
		m, _ := collector(0)
		if err := m.MapV2(d.coll, d.raw, OriginV2); err != nil {
			continue
		}
		misfits := 0
		for _, w := range m.Warnings() {
			if w.Issue == IssueMisfit || w.Issue == IssueDuplicate || w.Issue == IssueInvalidUTF8 {
				misfits += w.Count
			}
		}
		if err := CheckV2(d.coll, d.raw); err == nil && misfits > 0 {
			t.Errorf("%s: CheckV2 = %v but the Mapper counted %d misfits", d.name, err, misfits)
		}
	}
}

// oddDocs are {collection, document} pairs with problems, shared by tests
// and the fuzz seed corpus.
var oddDocs = [][2]string{
	{"sleep", `{"id":"s2","efficiency":"83","period":1.5,"day":"2024/10/10","bedtime_start":12345}`},
	{"sleep", `{"id":"s3","readiness":"high","heart_rate":[1,2],"hrv":{"interval":"5m","items":{"a":1},"timestamp":false}}`},
	{"session", `{"id":"x1","heart_rate":{"interval":5,"items":[60,"61",null,true],"timestamp":"2024-10-12T21:30:00+02:00"}}`},
	{"rest_mode_period", `{"id":"r1","start_day":"2024-03-17","episodes":[{"tags":["a"],"timestamp":"2024-03-17T11:45:56+01:00","mood":"meh"},"oops"]}`},
	{"heartrate", `{"bpm":61.5,"source":"awake","timestamp":"2024-12-13T12:31:21+00:00","timestamp_unix":"1734093081000"}`},
	{"daily_stress", `{"id":"d1","\u0064ay":"2024-11-11","stress_high":1800,"stress_high":2400}`},
	{"daily_activity", `{"id":"a1","class_5_min":"01234567x\u00e9","timestamp":"2024-11-11T04:00:00+01:00"}`},
	{"tag", `{"id":"t","tags":"a"}`},
	{"daily_spo2", `{"id":"s","spo2_percentage":{"average":"98"}}`},
	{"sleep_time", `{"id":"s","optimal_bedtime":{"day_tz":3600.5}}`},
}
