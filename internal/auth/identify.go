package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ouraexport/ouraexport/internal/oura"
)

// Identity is who an access token belongs to, from personal_info.
type Identity struct {
	ID    string
	Email string // empty without the email scope
}

// personalInfoPath is the route that names the account; it answers any
// valid token.
const personalInfoPath = "/v2/usercollection/personal_info"

// Identify asks the API server of c whose token c sends, through the
// client's rate limiter and retries (a 401 refreshes a login's token once,
// when c's token source is a *Source). A refusal is an *oura.APIError
// (errors.Is oura.ErrUnauthorized for a 401). The token travels only in the
// Authorization header.
func Identify(ctx context.Context, c *oura.Client) (Identity, error) {
	var info struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	}
	_, err := c.Get(ctx, personalInfoPath, nil, func(body []byte) error {
		info.ID, info.Email = "", ""
		if err := json.Unmarshal(body, &info); err != nil {
			return errors.New("not a personal_info document")
		}
		return nil
	})
	if err != nil {
		return Identity{}, fmt.Errorf("personal info: %w", err)
	}
	return Identity{ID: info.ID, Email: info.Email}, nil
}

// IdentityClient returns a client of the API server at apiURL that sends
// accessToken, for Identify.
func IdentityClient(apiURL, accessToken string) (*oura.Client, error) {
	return oura.NewClient(oura.ClientOptions{BaseURL: apiURL, Tokens: oura.StaticToken(accessToken), UserAgent: "ouraexport"})
}
