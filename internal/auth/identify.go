package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

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

// Identify asks the API server whose token accessToken is. A rejected
// token is an *oura.APIError (errors.Is oura.ErrUnauthorized for a
// 401). The token travels only in the Authorization header.
func Identify(ctx context.Context, hc *http.Client, apiURL, accessToken string) (Identity, error) {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(apiURL, "/")+personalInfoPath, nil)
	if err != nil {
		return Identity{}, fmt.Errorf("personal info: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return Identity{}, fmt.Errorf("personal info: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Identity{}, fmt.Errorf("personal info: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var d struct {
			Detail any `json:"detail"`
		}
		_ = json.Unmarshal(body, &d)
		detail, _ := d.Detail.(string)
		return Identity{}, &oura.APIError{Status: resp.StatusCode, Detail: clean(detail, 200), Path: personalInfoPath}
	}
	var info struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	}
	if err := json.Unmarshal(body, &info); err != nil {
		return Identity{}, fmt.Errorf("personal info: not JSON: %w", err)
	}
	return Identity{ID: info.ID, Email: info.Email}, nil
}
