package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkHandler measures the handler's work per event: read, verify,
// decode, Accept (a no-op here).
func BenchmarkHandler(b *testing.B) {
	h := &Handler{Secret: testSecret, VerificationToken: testToken,
		Accept: func(context.Context, Event, []byte) error { return nil }}
	now := time.Now()
	h.Now = func() time.Time { return now }
	b.ReportAllocs()
	for i := range b.N {
		ts := strconv.FormatInt(now.Unix()-int64(i%200), 10) // distinct deliveries
		body := strings.Replace(testBody, "8f2b", strconv.Itoa(i), 1)
		r := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(body))
		r.Header.Set(HeaderTimestamp, ts)
		r.Header.Set(HeaderSignature, Sign(testSecret, ts, []byte(body)))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusNoContent {
			b.Fatalf("status %d", w.Code)
		}
	}
}
