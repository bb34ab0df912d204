package schema

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// Five years of one user is about 1 M heart rate rows, 1,800 activity days
// (2.6 M MET items) and 1,800 nights; these benchmarks report what one core
// maps per second. Run: go test ./schema -run NONE -bench Map -benchmem

func benchMap(b *testing.B, coll string, docs [][]byte) {
	b.Helper()
	var rowsOut int
	m := NewMapper(0, func(bt *Batch) error { rowsOut += bt.Len(); return nil })
	size := 0
	for _, d := range docs {
		size += len(d)
	}
	b.SetBytes(int64(size / len(docs)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := m.MapV2(coll, docs[i%len(docs)], OriginV2); err != nil {
			b.Fatal(err)
		}
	}
	if err := m.Flush(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(rowsOut)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkMapHeartrate(b *testing.B) {
	docs := make([][]byte, 1000)
	sources := []string{"awake", "rest", "sleep", "workout"}
	for i := range docs {
		docs[i] = fmt.Appendf(nil, `{"bpm":%d,"source":"%s","timestamp":"2024-12-13T%02d:%02d:%02d+00:00"}`,
			45+i%80, sources[i%len(sources)], i/3600%24, i/60%60, i%60)
	}
	benchMap(b, "heartrate", docs)
}

func BenchmarkMapDailyActivity(b *testing.B) {
	doc, err := os.ReadFile(recordedDir + "/single_daily_activity.json")
	if err != nil {
		b.Fatal(err)
	}
	benchMap(b, "daily_activity", [][]byte{doc})
}

func BenchmarkMapSleep(b *testing.B) {
	benchMap(b, "sleep", [][]byte{nightDoc()})
}

func BenchmarkCheckV2DailyActivity(b *testing.B) {
	doc, err := os.ReadFile(recordedDir + "/single_daily_activity.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if err := CheckV2("daily_activity", doc); err != nil {
			b.Fatal(err)
		}
	}
}

// nightDoc is an eight-hour night as the API sends it: 96 five-minute heart
// rate and HRV items, two 96-character and two 960-character encoded strings.
func nightDoc() []byte {
	r := rand.New(rand.NewPCG(1, 2))
	series := func(base, spread int) string {
		items := make([]string, 96)
		for i := range items {
			if r.IntN(20) == 0 {
				items[i] = "null"
			} else {
				items[i] = fmt.Sprintf("%d.0", base+r.IntN(spread))
			}
		}
		return strings.Join(items, ",")
	}
	codes := func(n int, alphabet string) string {
		var sb strings.Builder
		for range n {
			sb.WriteByte(alphabet[r.IntN(len(alphabet))])
		}
		return sb.String()
	}
	return fmt.Appendf(nil, `{"id":"0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d","average_breath":14.875,"average_heart_rate":55.5,"average_hrv":46,"awake_time":2130,"bedtime_end":"2024-10-10T09:04:29+02:00","bedtime_start":"2024-10-10T01:01:59+02:00","day":"2024-10-10","deep_sleep_duration":4980,"efficiency":88,"heart_rate":{"interval":300.0,"items":[%s],"timestamp":"2024-10-10T01:01:59.000+02:00"},"hrv":{"interval":300.0,"items":[%s],"timestamp":"2024-10-10T01:01:59.000+02:00"},"latency":540,"light_sleep_duration":13830,"low_battery_alert":false,"lowest_heart_rate":49,"movement_30_sec":"%s","period":0,"readiness":{"contributors":{"activity_balance":94,"body_temperature":97,"hrv_balance":95,"previous_day_activity":91,"previous_night":77,"recovery_index":64,"resting_heart_rate":92,"sleep_balance":92,"sleep_regularity":88},"score":86,"temperature_deviation":0.1,"temperature_trend_deviation":0.13},"readiness_score_delta":1,"rem_sleep_duration":7530,"restless_periods":212,"sleep_algorithm_version":"v2","sleep_analysis_reason":"foreground_sleep_analysis","sleep_phase_30_sec":"%s","sleep_phase_5_min":"%s","app_sleep_phase_5_min":"%s","sleep_score_delta":0,"time_in_bed":28950,"total_sleep_duration":26340,"type":"long_sleep","ring_id":"gAAAAABnX2x0cmluZ2lkZXhhbXBsZQ=="}`,
		series(48, 20), series(25, 60), codes(960, "1111112234"), codes(960, "12234"), codes(96, "12234"), codes(96, "12234"))
}
