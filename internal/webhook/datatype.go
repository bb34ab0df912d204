package webhook

import "slices"

// Event types: what happened to the document an event names.
const (
	Create = "create"
	Update = "update"
	Delete = "delete"
)

// EventTypes are every event type, in the order subscriptions are made.
var EventTypes = []string{Create, Update, Delete}

// dataType is a webhook data type and the collection (the API route name)
// its events name.
type dataType struct {
	name, collection string
	// optional: named by Oura's older documents (1.29) but no longer by
	// the current ones (1.35, 1.37), so a server may refuse a subscription
	// to it (422); Ensure then leaves it to the periodic resync.
	optional bool
}

// dataTypes are the data types of Oura's ExtApiV2DataType. There are none
// for heartrate, interbeat_interval, ring_battery_level or personal_info:
// those are always polled.
var dataTypes = []dataType{
	{name: "tag", collection: "tag"},
	{name: "enhanced_tag", collection: "enhanced_tag"},
	{name: "workout", collection: "workout"},
	{name: "session", collection: "session"},
	{name: "sleep", collection: "sleep"},
	{name: "daily_sleep", collection: "daily_sleep"},
	{name: "daily_readiness", collection: "daily_readiness"},
	{name: "daily_activity", collection: "daily_activity"},
	{name: "daily_spo2", collection: "daily_spo2"},
	{name: "sleep_time", collection: "sleep_time"},
	{name: "rest_mode_period", collection: "rest_mode_period"},
	{name: "ring_configuration", collection: "ring_configuration"},
	{name: "daily_stress", collection: "daily_stress"},
	{name: "daily_cardiovascular_age", collection: "daily_cardiovascular_age"},
	{name: "daily_resilience", collection: "daily_resilience"},
	{name: "vo2_max", collection: "vO2_max"}, // the route is /v2/usercollection/vO2_max
	{name: "meal", collection: "meal"},
	{name: "daily_cycle_phases", collection: "daily_cycle_phases", optional: true},
}

// Collection returns the collection (the route name: "tag", "vO2_max")
// whose documents events of dataType name, and false for a data type Oura
// does not send (or one newer than this table, which a receiver should
// leave to the periodic resync).
func Collection(dataType string) (collection string, ok bool) {
	for _, d := range dataTypes {
		if d.name == dataType {
			return d.collection, true
		}
	}
	return "", false
}

// DataType returns the data type whose events name collection's
// documents, and false for a collection Oura sends no events for.
func DataType(collection string) (string, bool) {
	for _, d := range dataTypes {
		if d.collection == collection {
			return d.name, true
		}
	}
	return "", false
}

// DataTypes returns the data types an export of collections needs
// subscriptions for, in Oura's order. Collections without events
// (heartrate, ring_battery_level, personal_info, ...) are left out: they
// are polled.
func DataTypes(collections []string) []string {
	var out []string
	for _, d := range dataTypes {
		if slices.Contains(collections, d.collection) {
			out = append(out, d.name)
		}
	}
	return out
}

// AllDataTypes returns every data type this package knows, Optional ones
// included.
func AllDataTypes() []string {
	out := make([]string, len(dataTypes))
	for i, d := range dataTypes {
		out[i] = d.name
	}
	return out
}

// Optional reports whether a server may refuse subscriptions to
// dataType: one Oura's current documents no longer name
// (daily_cycle_phases).
func Optional(dataType string) bool {
	for _, d := range dataTypes {
		if d.name == dataType {
			return d.optional
		}
	}
	return false
}
