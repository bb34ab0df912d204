package sandbox

import "net/http"

// Oura has two token endpoints: the legacy one (api.ouraring.com/oauth/token)
// and the one of applications registered in the new developer portal
// (moi.ouraring.com/oauth/v2/ext/oauth-token). The sandbox serves both, at
// /oauth/token and PortalTokenPath, and Options.TokenEndpoint says which of
// them knows its client: both (the default), only the legacy one, or only
// the portal's. The other then refuses every token request of the client
// as Oura's are reported to: the legacy endpoint with 400 invalid_request
// (a portal application's refresh), the portal's with 401 invalid_client
// (a legacy application's code exchange).

// PortalTokenPath is the path of the developer portal's token endpoint.
const PortalTokenPath = "/oauth/v2/ext/oauth-token"

// The values of Options.TokenEndpoint.
const (
	TokenBoth   = "both"
	TokenLegacy = "legacy"
	TokenPortal = "portal"
)

// portalStep names the portal's token endpoint among the OAuth routes.
const portalStep = "portal-token"

// refusesClient answers a token request of the sandbox's client at an
// endpoint that does not know it, and reports whether it did.
func (s *Server) refusesClient(w http.ResponseWriter, r *http.Request, rs *reqState) bool {
	portal := r.URL.Path == PortalTokenPath
	switch {
	case portal && s.cfg.TokenEndpoint == TokenLegacy:
		s.oauthError(w, r, rs, http.StatusUnauthorized, "invalid_client", "Client authentication failed: this application is not registered with the developer portal.")
	case !portal && s.cfg.TokenEndpoint == TokenPortal:
		s.oauthError(w, r, rs, http.StatusBadRequest, "invalid_request", "Invalid request: applications of the developer portal use its token endpoint.")
	default:
		return false
	}
	return true
}
