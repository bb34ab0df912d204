package exporter

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ouraexport/ouraexport/sinks"

	"github.com/ouraexport/ouraexport/internal/oura"
)

// Optional describes what gates an optional collection (Collection.Optional).
type Optional struct {
	// Scopes are the OAuth2 scopes that grant the collection (any one does).
	Scopes []string
	// Adds says, for people, what the collection holds: what logging in
	// with its scope would add to the export.
	Adds string
}

// ErrUnavailable is matched (errors.Is) by every *UnavailableError.
var ErrUnavailable = errors.New("optional collection not available to this login")

// UnavailableError is the outcome of an optional collection the login may
// not read (HTTP 403: the scope was not granted) or the server does not
// serve (404). It is reported, not failed: Result.Failed leaves it out, and
// the export's exit status does not change for it.
type UnavailableError struct {
	Collection string
	Optional   Optional
	Err        error // the server's answer (an *oura.APIError)
}

func (e *UnavailableError) Error() string {
	return e.Collection + " was not exported: " + e.reason()
}

// reason says why, and what the collection would add.
func (e *UnavailableError) reason() string {
	var ae *oura.APIError
	if errors.As(e.Err, &ae) && ae.Status == http.StatusNotFound {
		return "the server does not serve it (HTTP 404)"
	}
	msg := "the login lacks its scope"
	if len(e.Optional.Scopes) > 0 {
		msg = "the login lacks the " + strings.Join(e.Optional.Scopes, " or ") + " scope"
	}
	msg += " (HTTP 403)"
	if e.Optional.Adds != "" {
		msg += "; with it the export would add " + e.Optional.Adds
	}
	return msg + "; to add it, run 'ouraexport auth login' again and allow the scope"
}

// Unwrap returns ErrUnavailable and the server's answer.
func (e *UnavailableError) Unwrap() []error { return []error{ErrUnavailable, e.Err} }

// unavailable returns err as an *UnavailableError when c is optional and
// err is the server refusing it (403) or not serving it (404); else err.
func unavailable(c *Collection, err error) error {
	var ae *oura.APIError
	if c.Optional == nil || !errors.As(err, &ae) || (ae.Status != http.StatusForbidden && ae.Status != http.StatusNotFound) {
		return err
	}
	var ue *UnavailableError
	if errors.As(err, &ue) {
		return err
	}
	return &UnavailableError{Collection: c.Name, Optional: *c.Optional, Err: err}
}

// driftNotes are the outputs' notes on what an API newer than the schema
// brought: the optional collections the login may not read (and what they
// would add), and the collections kept raw (and where).
func driftNotes(res *Result, outs []sinks.Sink) []string {
	var notes []string
	for _, c := range res.Unavailable() {
		notes = append(notes, c.Err.Error())
	}
	archive := false
	for _, s := range outs {
		if _, ok := s.(sinks.RawSink); ok {
			archive = true
		}
	}
	for _, c := range res.Raw() {
		name := c.Collection.Name
		n := res.Docs[name]
		switch {
		case c.Err != nil:
			continue // named among the incomplete ones
		case archive:
			notes = append(notes, fmt.Sprintf("%s is not modelled by this version of ouraexport: its %d documents are kept exactly as received in the archive's raw/%s.ndjson, in no table", name, n, name))
		default:
			notes = append(notes, fmt.Sprintf("%s is not modelled by this version of ouraexport: its %d documents are kept only in the export's store (%s); export with the archive format to write them out", name, n, StoreDir))
		}
	}
	return notes
}
