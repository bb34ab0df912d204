package auth

import (
	"context"
	"errors"
	"net/http"
	"os"
)

// LogoutResult is what Logout did.
type LogoutResult struct {
	// Found reports whether there was a login file.
	Found bool
	// Login is the login that was deleted; nil when none was found or it
	// could not be read (LoadErr says why; the file is deleted anyway).
	Login   *Token
	LoadErr error
	// RevokeErr is why the server did not confirm the revocation (nil:
	// it did).
	RevokeErr error
}

// Logout revokes the stored login at its server, best effort (the refresh
// token, then the access token), and deletes the login file, all under the
// login's lock so that no run saves a refreshed token behind its back. A
// run that needs to refresh afterwards finds no login and stops. The error
// is only for a file that could not be deleted.
func Logout(ctx context.Context, st *Store, hc *http.Client) (LogoutResult, error) {
	var res LogoutResult
	unlock, err := st.Lock(ctx)
	if err != nil {
		return res, err
	}
	defer unlock()
	tok, err := st.Load()
	switch {
	case errors.Is(err, ErrNoLogin):
		return res, nil
	case err != nil:
		if _, serr := os.Lstat(st.Path()); serr != nil {
			return res, err
		}
		res.Found, res.LoadErr = true, err
	default:
		res.Found, res.Login = true, tok
		revoke := RevokeURL(tok.APIURL)
		for _, t := range []string{tok.RefreshToken, tok.AccessToken} {
			if t == "" {
				continue
			}
			if err := Revoke(ctx, hc, revoke, t); err != nil && res.RevokeErr == nil {
				res.RevokeErr = err
			}
		}
	}
	return res, st.remove()
}
