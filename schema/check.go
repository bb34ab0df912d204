package schema

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// ErrInvalid is matched (errors.Is) by every *InvalidError.
var ErrInvalid = errors.New("invalid document")

// InvalidError is a document that is not what its collection's model says:
// not a JSON object, or (for CheckV2) a required field missing, a known
// field of the wrong JSON type or format.
type InvalidError struct {
	Collection string
	Problems   []string // at most 20, in document order
}

func (e *InvalidError) Error() string {
	return fmt.Sprintf("%s document: %s: %s", e.Collection, ErrInvalid, strings.Join(e.Problems, "; "))
}

// Unwrap returns ErrInvalid.
func (e *InvalidError) Unwrap() error { return ErrInvalid }

var checkers = sync.Pool{New: func() any { return new(walker) }}

// CheckV2 strictly checks one v2 document: it must be a valid JSON object in
// UTF-8; every field the model requires must be present; and every known
// field, at any depth, must have the JSON type the model gives it (integers
// integral, dates YYYY-MM-DD, date-times in a form ParseDateTime accepts),
// and be non-null unless the model allows null. Unknown fields are allowed.
// A document that passes maps without a misfit. CheckV2 returns nil, an
// error wrapping ErrUnknownCollection, or an *InvalidError. It is safe for
// concurrent use.
//
// Where real responses differ from the published model, CheckV2 follows the
// responses: daily_cardiovascular_age documents may lack id, and heartrate,
// ring_battery_level and interbeat_interval rows may lack timestamp_unix.
func CheckV2(collection string, doc []byte) error {
	c := lookupCollection(collection)
	if c == nil {
		return fmt.Errorf("check %q: %w", collection, ErrUnknownCollection)
	}
	w := checkers.Get().(*walker)
	defer func() {
		w.release()
		checkers.Put(w)
	}()
	w.start(c, doc, true)
	if !utf8.Valid(doc) {
		w.problem("not valid UTF-8")
	}
	w.document(nil, 0)
	if w.d.err != nil {
		w.problems = append(w.problems[:0], w.d.err.Error())
	}
	if len(w.problems) == 0 {
		return nil
	}
	return &InvalidError{Collection: c.name, Problems: append([]string(nil), w.problems...)}
}
