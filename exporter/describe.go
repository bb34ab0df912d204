package exporter

import (
	"errors"
	"net/http"

	"github.com/ouraexport/ouraexport/internal/oura"
)

// Describe returns a one-line explanation of why a collection could not be
// fetched, saying what it means for the user.
func Describe(err error) string {
	// A server that is not the API, or that redirects elsewhere, says it
	// all in its own words.
	var ne *oura.NotAPIError
	if errors.As(err, &ne) {
		return ne.Error()
	}
	var re *oura.RedirectError
	if errors.As(err, &re) {
		return re.Error()
	}
	var ue *UnavailableError
	if errors.As(err, &ue) {
		return "not exported: " + ue.reason()
	}
	var ae *oura.APIError
	if errors.As(err, &ae) {
		switch ae.Status {
		case http.StatusForbidden:
			return "access forbidden (HTTP 403): the login lacks this data's scope, or the Oura membership has lapsed"
		case http.StatusUnauthorized:
			return "the access token was rejected (HTTP 401): log in again"
		case http.StatusNotFound:
			return "the server does not serve this collection (HTTP 404)"
		case 426:
			return "the Oura app is too old to share this data (HTTP 426): update the app and sync"
		}
	}
	return err.Error()
}
