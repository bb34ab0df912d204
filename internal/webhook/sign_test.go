package webhook

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	testSecret = "sandbox-secret"
	testTS     = "1764874800" // 2025-12-04T19:00:00Z
	testBody   = `{"event_type":"create","data_type":"tag","object_id":"8f2b","event_time":"2026-12-04T19:00:00Z","user_id":"u-1"}`
	// testSig is HMAC-SHA256(testSecret, testTS+testBody), upper-case hex,
	// computed apart from this package (Python's hmac module).
	testSig = "363A071DE0ED5E4D42F5ACE0CF5399A54F5C6C6ED25A3F777FDDF04893F79282"
)

var testNow = time.Unix(1764874800, 0)

func TestSign(t *testing.T) {
	if got := Sign(testSecret, testTS, []byte(testBody)); got != testSig {
		t.Errorf("Sign = %s, want %s", got, testSig)
	}
}

func TestVerify(t *testing.T) {
	body := []byte(testBody)
	for _, tc := range []struct {
		name, secret, ts, sig string
		body                  []byte
		now                   time.Time
		want                  error
	}{
		{"right", testSecret, testTS, testSig, body, testNow, nil},
		{"lower-case hex", testSecret, testTS, strings.ToLower(testSig), body, testNow, nil},
		{"4 minutes late", testSecret, testTS, testSig, body, testNow.Add(4 * time.Minute), nil},
		{"4 minutes early", testSecret, testTS, testSig, body, testNow.Add(-4 * time.Minute), nil},
		{"6 minutes late: a replay", testSecret, testTS, testSig, body, testNow.Add(6 * time.Minute), ErrStale},
		{"6 minutes early", testSecret, testTS, testSig, body, testNow.Add(-6 * time.Minute), ErrStale},
		{"wrong secret", "other-secret", testTS, testSig, body, testNow, ErrSignature},
		{"no secret", "", testTS, testSig, body, testNow, ErrSignature},
		{"body changed", testSecret, testTS, testSig, []byte(strings.Replace(testBody, "create", "delete", 1)), testNow, ErrSignature},
		{"body re-serialised", testSecret, testTS, testSig, []byte(strings.ReplaceAll(testBody, ",", ", ")), testNow, ErrSignature},
		{"timestamp changed", testSecret, "1764874801", testSig, body, testNow, ErrSignature},
		{"no signature", testSecret, testTS, "", body, testNow, ErrSignature},
		{"not hex", testSecret, testTS, "zz" + testSig[2:], body, testNow, ErrSignature},
		{"too short", testSecret, testTS, testSig[:62], body, testNow, ErrSignature},
		{"signed, timestamp not a number", testSecret, "soon", Sign(testSecret, "soon", body), body, testNow, ErrStale},
		{"signed, milliseconds", testSecret, "1764874800000", Sign(testSecret, "1764874800000", body), body, testNow, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(tc.secret, tc.ts, tc.sig, tc.body, tc.now, 5*time.Minute)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
			if err != nil {
				for _, s := range []string{testSig, strings.ToLower(testSig), testSecret} {
					if strings.Contains(err.Error(), s) {
						t.Errorf("the error %q quotes a secret or the signature", err)
					}
				}
			}
		})
	}
}

func TestVerifyDefaultSkew(t *testing.T) {
	if err := Verify(testSecret, testTS, testSig, []byte(testBody), testNow.Add(DefaultMaxSkew-time.Second), 0); err != nil {
		t.Errorf("within the default skew: %v", err)
	}
	if err := Verify(testSecret, testTS, testSig, []byte(testBody), testNow.Add(DefaultMaxSkew+time.Second), 0); !errors.Is(err, ErrStale) {
		t.Errorf("past the default skew: %v, want ErrStale", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
