package cohort_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ouraexport/ouraexport/internal/cohort"
	"github.com/ouraexport/ouraexport/sinks"
)

// FuzzDecodeManifest feeds arbitrary cohort manifests to DecodeManifest. An
// accepted manifest passes Check, encodes, and decodes back to the same
// encoding; errors are one line.
func FuzzDecodeManifest(f *testing.F) {
	sum := strings.Repeat("ab", 32)
	for _, s := range []string{
		`{"cohort_manifest_version":1,"tool":"ouraexport","tool_version":"v1","created_at":"2025-01-01T00:00:00Z","shard":{"index":0,"count":1},
		  "complete":1,"failed":1,"participants":[
		  {"id":"p01","folder":"participant=p01","status":"complete","account":"u1","since":"2024-01-01","until":"2024-12-31",
		   "manifest":{"path":"participant=p01/MANIFEST.json","size":10,"sha256":"` + sum + `","rows":0},"files":3,"rows":100,"requests":5,"seconds":1.5},
		  {"id":"p02","folder":"participant=p02","status":"failed","error":"token rejected\nagain"}]}`,
		`{"cohort_manifest_version":1,"participants":[]}`,
		`{"cohort_manifest_version":2}`,
		`{"cohort_manifest_version":1,"participants":[{"id":"p","folder":"participant=p","status":"partial"}]}`,
		`{"cohort_manifest_version":1,"participants":[{"id":"p","folder":"x","status":"failed"}]}`,
		`{"cohort_manifest_version":1,"participants":[{"id":"p","folder":"participant=p","status":"failed"},{"id":"p","folder":"participant=p","status":"failed"}]}`,
		`{"cohort_manifest_version":1,"participants":[{"id":"` + strings.Repeat("é", 100) + `","status":"?"}]}`,
		`{"cohort_manifest_version":1,"created_at":"9999-12-31T23:59:59-23:59","seconds":1e308,"rows":-1}`,
		`{"cohort_manifest_version":1} trailing`, `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := cohort.DecodeManifest(bytes.NewReader(data))
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		if err := m.Check(); err != nil {
			t.Fatalf("decoded a manifest Check rejects: %v", err)
		}
		var a bytes.Buffer
		if err := m.Encode(&a); err != nil {
			t.Fatalf("a decoded manifest does not encode: %v", err)
		}
		m2, err := cohort.DecodeManifest(bytes.NewReader(a.Bytes()))
		if err != nil {
			t.Fatalf("an encoded manifest does not decode: %v\n%s", err, a.Bytes())
		}
		var b bytes.Buffer
		if err := m2.Encode(&b); err != nil || !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatalf("encoding changed on a round trip (%v):\n%s\n%s", err, a.Bytes(), b.Bytes())
		}
		for _, e := range m.Participants {
			if e.Manifest != nil && sinks.CheckName(e.Manifest.Path) != nil && e.Status != cohort.Failed {
				t.Fatalf("participant %s: manifest path %q", e.ID, e.Manifest.Path)
			}
		}
	})
}

// FuzzReadToken feeds arbitrary token files to ReadToken: a token it returns
// is one word, as the file holds it; an error wraps ErrToken, is one line,
// and never shows the file's content.
func FuzzReadToken(f *testing.F) {
	for _, s := range []string{"tok-123\n", "  tok\r\n", "", "\n\n", "a b\n", "line1\nline2\n", "tok\x00en", "\ufefftok\n",
		strings.Repeat("t", 64<<10), strings.Repeat("t", 64<<10+1), "secret-token-value extra"} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "p.token")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		tok, err := cohort.ReadToken(p)
		if err != nil {
			if !errors.Is(err, cohort.ErrToken) || tok != "" || strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("ReadToken: %q, %v", tok, err)
			}
			for _, w := range strings.Fields(string(data)) {
				if len(w) >= 8 && strings.Contains(err.Error(), w) && !strings.Contains(p, w) {
					t.Fatalf("the error shows the file's content %q: %v", w, err)
				}
			}
			return
		}
		if tok == "" || strings.ContainsAny(tok, " \t\r\n") || strings.TrimSpace(string(data)) != tok {
			t.Fatalf("ReadToken(%q) = %q", data, tok)
		}
	})
}
