package auth

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Revoke asks the server to forget token (an access or refresh token),
// best effort. The token goes in a form body (as token, RFC 7009, and as
// access_token, the name Oura's clients use), never in the URL.
func Revoke(ctx context.Context, hc *http.Client, revokeURL, token string) error {
	if err := CheckURL("revoke URL", revokeURL); err != nil {
		return err
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	c := *hc
	c.CheckRedirect = refuseRedirect
	hc = &c
	form := url.Values{"token": {token}, "access_token": {token}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, revokeURL, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("revoke: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("revoke: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("revoke: %s answered HTTP %d", req.URL.Host, resp.StatusCode)
	}
	return nil
}
