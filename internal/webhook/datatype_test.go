package webhook

import (
	"slices"
	"testing"

	"github.com/ouraexport/ouraexport/exporter"
)

func TestCollection(t *testing.T) {
	for _, tc := range []struct{ dataType, want string }{
		{"tag", "tag"}, {"vo2_max", "vO2_max"}, {"daily_cardiovascular_age", "daily_cardiovascular_age"}, {"meal", "meal"},
	} {
		if got, ok := Collection(tc.dataType); !ok || got != tc.want {
			t.Errorf("Collection(%q) = %q, %v; want %q", tc.dataType, got, ok, tc.want)
		}
	}
	for _, d := range []string{"heartrate", "ring_battery_level", "personal_info", "vO2_max", ""} {
		if got, ok := Collection(d); ok {
			t.Errorf("Collection(%q) = %q, want none", d, got)
		}
	}
}

// TestDataTypes checks the table against the collections export writes:
// every one has a data type, except those Oura sends no events for.
func TestDataTypes(t *testing.T) {
	polled := []string{"personal_info", "heartrate", "interbeat_interval", "ring_battery_level"}
	var colls []string
	for _, c := range exporter.V2Collections(nil) {
		colls = append(colls, c.Name)
		_, ok := DataType(c.Name)
		if ok == slices.Contains(polled, c.Name) {
			t.Errorf("collection %s: has a data type %v, but is polled %v", c.Name, ok, !ok)
		}
	}
	got := DataTypes(colls)
	want := []string{"tag", "enhanced_tag", "workout", "session", "sleep", "daily_sleep", "daily_readiness", "daily_activity",
		"daily_spo2", "sleep_time", "rest_mode_period", "ring_configuration", "daily_stress", "daily_cardiovascular_age",
		"daily_resilience", "vo2_max", "daily_cycle_phases"}
	if !slices.Equal(got, want) {
		t.Errorf("DataTypes(all export collections) =\n%v\nwant\n%v", got, want)
	}
	if got := DataTypes([]string{"vO2_max", "heartrate", "tag"}); !slices.Equal(got, []string{"tag", "vo2_max"}) {
		t.Errorf("DataTypes(vO2_max, heartrate, tag) = %v, want [tag vo2_max]", got)
	}
	current := 0
	for _, d := range AllDataTypes() {
		if !Optional(d) {
			current++
		}
	}
	if current != 17 || !Optional("daily_cycle_phases") || Optional("tag") {
		t.Errorf("AllDataTypes has %d not optional, want the 17 of ExtApiV2DataType (1.37)", current)
	}
	for _, d := range AllDataTypes() {
		c, _ := Collection(d)
		if back, _ := DataType(c); back != d {
			t.Errorf("DataType(Collection(%q)) = %q", d, back)
		}
	}
}
