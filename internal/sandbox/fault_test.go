package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// plainGet does what a plain net/http client does (transparent gzip
// included) and returns the response and the error of reading the body.
func plainGet(t *testing.T, ctx context.Context, u string) (*http.Response, []byte, error) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	req.Header.Set("Authorization", "Bearer sandbox-token-1")
	c := &http.Client{Transport: &http.Transport{}} // fresh connections: a fault may close them
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

// TestFaults shows each fault kind as a plain net/http client sees it.
func TestFaults(t *testing.T) {
	path := "/v2/usercollection/daily_sleep?start_date=2024-02-01&end_date=2024-03-20"
	ctx := context.Background()
	tests := []struct {
		kind  string
		check func(t *testing.T, base string)
	}{
		{Fault500, func(t *testing.T, base string) {
			resp, body, err := plainGet(t, ctx, base+path)
			if err != nil || resp.StatusCode != 500 || !json.Valid(body) {
				t.Errorf("%v %v %s", err, resp, body)
			}
		}},
		{Fault502, func(t *testing.T, base string) {
			resp, body, err := plainGet(t, ctx, base+path)
			if err != nil || resp.StatusCode != 502 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || json.Valid(body) {
				t.Errorf("%v %v", err, resp)
			}
		}},
		{Fault503, func(t *testing.T, base string) {
			resp, _, err := plainGet(t, ctx, base+path)
			if err != nil || resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
				t.Errorf("%v %v", err, resp)
			}
		}},
		{FaultReset, func(t *testing.T, base string) {
			if _, _, err := plainGet(t, ctx, base+path); err == nil {
				t.Error("no error after a reset")
			}
		}},
		{FaultTruncate, func(t *testing.T, base string) {
			resp, _, err := plainGet(t, ctx, base+path)
			if resp == nil || resp.StatusCode != 200 || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("truncated body: %v %v", resp, err)
			}
		}},
		{FaultSlow, func(t *testing.T, base string) {
			start := time.Now()
			resp, body, err := plainGet(t, ctx, base+path)
			if err != nil || resp.StatusCode != 200 || !json.Valid(body) || time.Since(start) < 40*time.Millisecond {
				t.Errorf("slow: %v %v after %v", err, resp, time.Since(start))
			}
			short, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
			defer cancel()
			if _, _, err := plainGet(t, short, base+path); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("a client that gives up: %v", err)
			}
		}},
		{FaultHTML, func(t *testing.T, base string) {
			resp, body, err := plainGet(t, ctx, base+path)
			if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || json.Valid(body) {
				t.Errorf("%v %v", err, resp)
			}
		}},
		{FaultMalformed, func(t *testing.T, base string) {
			resp, body, err := plainGet(t, ctx, base+path)
			if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != ctypeJSON || json.Valid(body) {
				t.Errorf("%v %v valid=%v", err, resp, json.Valid(body))
			}
		}},
		{FaultWrongType, func(t *testing.T, base string) {
			_, body, err := plainGet(t, ctx, base+path)
			var pg struct {
				Data []scoredDoc `json:"data"`
			}
			var te *json.UnmarshalTypeError
			if err != nil || !json.Valid(body) || !errors.As(json.Unmarshal(body, &pg), &te) {
				t.Errorf("wrongtype body decodes cleanly: %v %.200s", err, body)
			}
		}},
		{FaultLoop, func(t *testing.T, base string) {
			first := decodePage(t, get(t, base, path, 1))
			second := decodePage(t, get(t, base, path+"&next_token="+url.QueryEscape(*first.NextToken), 1))
			if !equalDocs(first.Data, second.Data) {
				t.Error("the next page of a loop is not the first page again")
			}
		}},
		{FaultDuplicate, func(t *testing.T, base string) {
			first := decodePage(t, get(t, base, path, 1))
			second := decodePage(t, get(t, base, path+"&next_token="+url.QueryEscape(*first.NextToken), 1))
			if len(second.Data) == 0 || string(second.Data[0]) != string(first.Data[len(first.Data)-3]) {
				t.Error("the next page does not repeat the end of the previous one")
			}
			hr := "/v2/usercollection/heartrate?start_datetime=2024-03-01T00:00:00Z&end_datetime=2024-03-02T00:00:00Z"
			first = decodePage(t, get(t, base, hr, 1))
			second = decodePage(t, get(t, base, hr+"&next_token="+url.QueryEscape(*first.NextToken), 1))
			if string(second.Data[0]) != string(first.Data[len(first.Data)-3]) {
				t.Error("the next heart-rate page does not repeat the end of the previous one")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			s, base := newTestServer(t, Options{FaultRate: 1, Faults: []string{tt.kind}, SlowDelay: 40 * time.Millisecond, PageSize: 6})
			tt.check(t, base)
			if st := s.Stats(); st.Faults[tt.kind] == 0 {
				t.Errorf("stats count no %s fault: %v", tt.kind, st.Faults)
			}
		})
	}
}

// TestFaultsSpareOAuthAndControl: faults never hit OAuth (unless asked) or
// the control routes; and they are reproducible for a given seed.
func TestFaultsSpareOAuthAndControl(t *testing.T) {
	_, base := newTestServer(t, Options{FaultRate: 1, Faults: []string{Fault500}})
	if r := do(t, http.MethodPost, base+"/oauth/token", 0, strings.NewReader("")); r.status == 500 {
		t.Error("OAuth got a fault")
	}
	if r := get(t, base, "/_sandbox/stats", 0); r.status != 200 {
		t.Errorf("control got %d", r.status)
	}
	_, asked := newTestServer(t, Options{FaultRate: 1, Faults: []string{Fault500}, FaultOAuth: true})
	if r := do(t, http.MethodPost, asked+"/oauth/token", 0, strings.NewReader("")); r.status != 500 {
		t.Errorf("FaultOAuth: %d", r.status)
	}
	seq := func() string {
		_, b := newTestServer(t, Options{Seed: 42, FaultRate: 0.5, Faults: []string{Fault500, Fault503}})
		var out []string
		for i := 0; i < 30; i++ {
			out = append(out, itoa(get(t, b, "/v2/usercollection/tag", 1).status))
		}
		return strings.Join(out, ",")
	}
	a, b := seq(), seq()
	if a != b || !strings.Contains(a, "200") || !strings.Contains(a, "50") {
		t.Errorf("fault sequences %s and %s", a, b)
	}
}

// TestFaultsOnStreamedV1: v1 answers too big to buffer are streamed; a
// truncate fault cuts them mid-body and a malformed one ends them early.
func TestFaultsOnStreamedV1(t *testing.T) {
	path := "/v1/activity?start=2024-01-01&end=2024-03-31"
	for _, kind := range []string{FaultTruncate, FaultMalformed} {
		t.Run(kind, func(t *testing.T) {
			_, base := newTestServer(t, Options{FaultRate: 1, Faults: []string{kind}})
			resp, body, err := plainGet(t, context.Background(), base+path)
			switch kind {
			case FaultTruncate:
				if err == nil {
					t.Errorf("a truncated stream read cleanly (%d bytes)", len(body))
				}
			case FaultMalformed:
				if err != nil || resp.StatusCode != 200 || json.Valid(body) || len(body) < streamChunk {
					t.Errorf("malformed stream: %v %d bytes valid=%v", err, len(body), json.Valid(body))
				}
			}
		})
	}
}
