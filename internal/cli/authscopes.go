package cli

import (
	"strings"

	"github.com/ouraexport/ouraexport/internal/auth"
	"github.com/ouraexport/ouraexport/internal/scope"
)

// scopeNotes says, for the scopes a login asks for, which the scope table
// does not know: they are asked for anyway (Oura may have added them), in
// the spelling given. Plain names, "extapi:" ones and "spo2Daily" are all
// known spellings.
func scopeNotes(scopes []string) []string {
	var out []string
	for _, s := range scopes {
		if _, known := scope.Normalize(s); !known {
			out = append(out, "scope "+s+" is not in ouraexport's scope table (known: "+strings.Join(scope.Names(), ", ")+
				"); it is asked for as given, in case Oura added it")
		}
	}
	return out
}

// endpointNote explains a login that fell back to the other token
// endpoint, "" when the one asked for answered.
func endpointNote(asked, used, apiURL string) string {
	if used == "" || used == asked {
		return ""
	}
	name := auth.TokenEndpointName(used, apiURL)
	if name == "" {
		name = "other"
	}
	return "the token endpoint " + asked + " answered as if it did not know the app; the " + name + " one, " + used +
		", accepted it, and the login uses it from now on"
}

// endpointLabel names a login's token endpoint for auth status: the URL,
// and which of the server's two it is.
func endpointLabel(url, apiURL string) string {
	if name := auth.TokenEndpointName(url, apiURL); name != "" {
		return url + ", the " + name + " one"
	}
	return url
}
