// Package scope is ouraexport's table of Oura's OAuth2 scopes: what each
// one unlocks, which collections it gates, and how sure we are. Oura's
// OpenAPI document lists scopes but not which route needs which (API-NOTES
// 2.6), so the table is assembled from the evidence there, and says so per
// row. It is the one place the commands (login --scopes, auth status, the
// doctor table of export --dry-run), the README and the sandbox's tests
// agree on; the sandbox keeps its own copy, and a test checks the two
// match.
//
// Scope names are accepted in every spelling Oura uses: plain ("daily"),
// with the "extapi:" prefix of partner integrations ("extapi:daily"), and
// "spo2Daily", the name openapi-1.35 gives "spo2" (Normalize).
package scope

import (
	"slices"
	"strings"
)

// Scope is one OAuth2 scope of Oura's API.
type Scope struct {
	// Name is the scope's canonical (plain) name.
	Name string
	// Aliases are other names Oura has used for it.
	Aliases []string
	// Grants says, for people, what the scope lets an application read.
	Grants string
	// Collections are the v2 collections it unlocks (any one of a
	// collection's scopes does).
	Collections []string
	// Source is the evidence for the row: "openapi" (the spec lists the
	// scope), "third-party" (other clients use it so), or "guess".
	Source string
	// Optional marks a scope most logins lack (Oura grants it to some
	// applications only, or asks for a separate consent): its collections
	// are exported when the login has it and reported, not failed, when
	// it does not.
	Optional bool
}

// Evidence of a row.
const (
	FromSpec       = "openapi"
	FromThirdParty = "third-party"
	Guess          = "guess"
)

// Prefix starts the scope names of Oura's partner integrations (extapi:daily).
const Prefix = "extapi:"

// table is the scope table, in the order Oura's authorize page lists the
// scopes, then those added since.
var table = []Scope{
	{Name: "email", Grants: "the account's e-mail address (personal_info.email)", Source: FromSpec},
	{Name: "personal", Grants: "age, weight, height and biological sex (personal_info)", Source: FromSpec},
	{Name: "daily", Grants: "daily summaries of sleep, activity and readiness, the sleep periods, bedtime guidance, Rest Mode, the ring's battery and configuration",
		Collections: []string{"daily_activity", "daily_readiness", "daily_sleep", "sleep", "sleep_time", "rest_mode_period", "ring_battery_level", "ring_configuration"},
		Source:      FromSpec},
	{Name: "heartrate", Grants: "the heart rate time series", Collections: []string{"heartrate"}, Source: FromSpec},
	{Name: "workout", Grants: "workouts", Collections: []string{"workout"}, Source: FromSpec},
	{Name: "tag", Grants: "tags and enhanced tags", Collections: []string{"tag", "enhanced_tag"}, Source: FromSpec},
	{Name: "session", Grants: "sessions (Moments: breathing, meditation, naps)", Collections: []string{"session"}, Source: FromSpec},
	{Name: "spo2", Aliases: []string{"spo2Daily"}, Grants: "blood oxygen during sleep", Collections: []string{"daily_spo2"}, Source: FromSpec},
	{Name: "stress", Grants: "daytime stress and recovery", Collections: []string{"daily_stress"}, Source: FromThirdParty},
	{Name: "heart_health", Grants: "resilience, cardiovascular age and VO2 max",
		Collections: []string{"daily_resilience", "daily_cardiovascular_age", "vO2_max"}, Source: FromThirdParty},
	{Name: "ring_configuration", Grants: "the ring's configuration (also granted by daily)", Collections: []string{"ring_configuration"}, Source: FromThirdParty},
	{Name: "reproductive_cycle", Grants: "the menstrual cycle phases of Cycle Insights, a consent of its own",
		Collections: []string{"daily_cycle_phases"}, Source: FromThirdParty, Optional: true},
	{Name: "interbeat_interval", Grants: "beat-to-beat intervals, for research applications only",
		Collections: []string{"interbeat_interval"}, Source: Guess, Optional: true},
}

// All returns the scope table.
func All() []Scope {
	out := make([]Scope, len(table))
	for i, s := range table {
		out[i] = s
		out[i].Aliases = slices.Clone(s.Aliases)
		out[i].Collections = slices.Clone(s.Collections)
	}
	return out
}

// Names returns the canonical names of every scope, in table order.
func Names() []string {
	out := make([]string, len(table))
	for i, s := range table {
		out[i] = s.Name
	}
	return out
}

// Normalize returns the canonical name of a scope written in any of Oura's
// spellings (white space trimmed, the "extapi:" prefix dropped, an alias
// replaced) and whether the table knows it. An unknown scope comes back
// without its prefix: Oura may have added it since.
func Normalize(s string) (string, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), Prefix)
	for _, sc := range table {
		if s == sc.Name || slices.Contains(sc.Aliases, s) {
			return sc.Name, true
		}
	}
	return s, false
}

// Lookup returns the scope named name (in any spelling).
func Lookup(name string) (Scope, bool) {
	n, ok := Normalize(name)
	if !ok {
		return Scope{}, false
	}
	for _, sc := range All() {
		if sc.Name == n {
			return sc, true
		}
	}
	return Scope{}, false
}

// For returns the scopes that unlock a v2 collection (any one of them
// does), in table order; none for personal_info, which any token reads,
// and for collections the table does not know.
func For(collection string) []string {
	var out []string
	for _, sc := range table {
		if slices.ContainsFunc(sc.Collections, func(c string) bool { return strings.EqualFold(c, collection) }) {
			out = append(out, sc.Name)
		}
	}
	return out
}

// Optional reports whether a collection is gated by a scope most logins
// lack (see Scope.Optional).
func Optional(collection string) bool {
	sc := For(collection)
	for _, name := range sc {
		if s, _ := Lookup(name); !s.Optional {
			return false
		}
	}
	return len(sc) > 0
}

// Set is a login's granted scopes, canonical.
type Set map[string]bool

// Granted returns the set of scopes a login was granted, in any spelling.
func Granted(scopes []string) Set {
	s := Set{}
	for _, x := range scopes {
		if n, _ := Normalize(x); n != "" {
			s[n] = true
		}
	}
	return s
}

// Unlocks reports whether the set grants a collection: it holds one of the
// collection's scopes, or the collection needs none.
func (s Set) Unlocks(collection string) bool {
	sc := For(collection)
	if len(sc) == 0 {
		return true
	}
	for _, n := range sc {
		if s[n] {
			return true
		}
	}
	return false
}
