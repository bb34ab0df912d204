package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Signature checks fail with these.
var (
	// ErrSignature: x-oura-signature is missing, malformed, or not the
	// signature of the timestamp and body with the client secret.
	ErrSignature = errors.New("bad webhook signature")
	// ErrStale: the signature is right but x-oura-timestamp is further
	// from now than the allowed skew (a replay, or a clock far off).
	ErrStale = errors.New("stale webhook timestamp")
)

// DefaultMaxSkew is how far an event's timestamp may be from now.
const DefaultMaxSkew = 5 * time.Minute

// Sign returns the signature Oura sends in x-oura-signature: the
// upper-case hex HMAC-SHA256, keyed with the client secret, of the
// timestamp (x-oura-timestamp, as sent) followed by the raw body bytes.
func Sign(secret, timestamp string, body []byte) string {
	return strings.ToUpper(hex.EncodeToString(mac(secret, timestamp, body)))
}

func mac(secret, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks that signature is Sign(secret, timestamp, body), comparing
// in constant time (hex of either case), and that timestamp (Unix seconds)
// is within skew of now (skew <= 0: DefaultMaxSkew). It returns nil, an
// error wrapping ErrSignature, or one wrapping ErrStale; the signature is
// checked first, so a forged event is never reported as merely stale. Its
// errors never quote the secret or the signature.
func Verify(secret, timestamp, signature string, body []byte, now time.Time, skew time.Duration) error {
	if secret == "" {
		return fmt.Errorf("%w: no client secret to check it with", ErrSignature)
	}
	if signature == "" {
		return fmt.Errorf("%w: no x-oura-signature header", ErrSignature)
	}
	got, err := hex.DecodeString(strings.TrimSpace(signature))
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: x-oura-signature is not a hex HMAC-SHA256", ErrSignature)
	}
	if !hmac.Equal(got, mac(secret, timestamp, body)) {
		return fmt.Errorf("%w: x-oura-signature does not match the body and timestamp", ErrSignature)
	}
	at, ok := parseTimestamp(timestamp)
	if !ok {
		return fmt.Errorf("%w: x-oura-timestamp %q is not Unix seconds", ErrStale, clip(timestamp))
	}
	if skew <= 0 {
		skew = DefaultMaxSkew
	}
	if d := now.Sub(at); d > skew || d < -skew {
		return fmt.Errorf("%w: x-oura-timestamp is %s from now, more than %s", ErrStale, d.Round(time.Second), skew)
	}
	return nil
}

// parseTimestamp parses x-oura-timestamp: decimal Unix seconds. A value
// too large to be seconds in this era (13 digits and more) is read as
// milliseconds, in case a sender uses those.
func parseTimestamp(s string) (time.Time, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, false
	}
	if n >= 1e12 {
		return time.UnixMilli(n), true
	}
	return time.Unix(n, 0), true
}

// clip shortens a header value for a message.
func clip(s string) string {
	if len(s) > 20 {
		return s[:20] + "..."
	}
	return s
}
