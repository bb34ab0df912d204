package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// maxFile bounds a config file; real ones are a few hundred bytes.
const maxFile = 1 << 20

// entry is one top-level key of a file and its decoded value, before it is
// checked against the keys.
type entry struct {
	key  string
	line int // 0 when the format has no lines (JSON)
	// val is what the decoder made of the value: string, int64, bool,
	// float64, []any, map[string]any, time.Time or one of go-toml's local
	// date and time types.
	val any
}

// check matches an entry to its key and converts its value: this, not the
// decoder, decides what a setting may hold.
func check(e entry) (setting, error) {
	k, ok := lookupKey(e.key)
	if !ok {
		msg := fmt.Sprintf("unknown key %q", e.key)
		if s := closestKey(e.key); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return setting{}, errors.New(msg)
	}
	s := setting{key: k, line: e.line}
	wrong := func() (setting, error) {
		return setting{}, fmt.Errorf("%s must be %s, not %s", k.Name, k.Kind, kindOf(e.val))
	}
	switch v := e.val.(type) {
	case string:
		switch k.Kind {
		case String:
			s.vals = []string{v}
		case List:
			s.vals = splitList(v)
		default:
			return wrong()
		}
	case toml.LocalDate: // since = 2024-01-01, written bare
		if k.Kind != String {
			return wrong()
		}
		s.vals = []string{v.String()}
	case int64:
		if k.Kind != Int {
			return wrong()
		}
		s.vals = []string{strconv.FormatInt(v, 10)}
	case bool:
		if k.Kind != Bool {
			return wrong()
		}
		s.vals = []string{strconv.FormatBool(v)}
	case []any:
		if k.Kind != List {
			return wrong()
		}
		s.vals = []string{}
		for _, item := range v {
			str, ok := item.(string)
			if !ok {
				return setting{}, fmt.Errorf("%s must be %s: the array holds %s", k.Name, k.Kind, kindOf(item))
			}
			s.vals = append(s.vals, str)
		}
	default:
		return wrong()
	}
	return s, nil
}

// kindOf names the type of a decoded value, as the errors say it.
func kindOf(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case bool:
		return "a boolean"
	case float64:
		return "a fractional number"
	case toml.LocalDate:
		return "a date"
	case toml.LocalTime:
		return "a time of day"
	case time.Time, toml.LocalDateTime:
		return "a date-time"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("a %T", v)
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(v string) []string {
	out := []string{}
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
