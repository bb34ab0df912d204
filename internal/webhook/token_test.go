package webhook

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestLoadOrCreateToken(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ouraexport")
	path := filepath.Join(dir, TokenFile)
	tok, err := LoadOrCreateToken(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) < 40 || strings.ContainsAny(tok, " \n/+=") {
		t.Errorf("token %q: want 43 URL-safe characters", tok)
	}
	if runtime.GOOS != "windows" {
		for p, want := range map[string]os.FileMode{path: 0o600, dir: 0o700} {
			info, err := os.Stat(p)
			if err != nil || info.Mode().Perm() != want {
				t.Errorf("%s: mode %v, %v; want %04o", p, info.Mode().Perm(), err, want)
			}
		}
	}
	again, err := LoadOrCreateToken(path)
	if err != nil || again != tok {
		t.Errorf("second LoadOrCreateToken = %q, %v; want the same token", again, err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("the folder holds %d files, want only the token file", len(ents))
	}
}

func TestLoadOrCreateTokenRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), TokenFile)
	toks := make([]string, 16)
	var wg sync.WaitGroup
	for i := range toks {
		wg.Go(func() {
			tok, err := LoadOrCreateToken(path)
			if err != nil {
				t.Error(err)
			}
			toks[i] = tok
		})
	}
	wg.Wait()
	for _, tok := range toks {
		if tok != toks[0] {
			t.Fatalf("concurrent creators got different tokens: %q and %q", toks[0], tok)
		}
	}
}

func TestLoadOrCreateTokenGiven(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tok")
	if err := os.WriteFile(path, []byte("  my-own-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if tok, err := LoadOrCreateToken(path); err != nil || tok != "my-own-token" {
		t.Errorf("given token file: %q, %v", tok, err)
	}
	for name, content := range map[string]string{"empty": "\n", "two": "a\nb\n"} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o600)
		if _, err := LoadOrCreateToken(p); err == nil {
			t.Errorf("%s token file: no error", name)
		}
	}
	if runtime.GOOS != "windows" {
		os.Chmod(path, 0o644)
		if _, err := LoadOrCreateToken(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("a token file readable by others: %v, want a refusal saying chmod 600", err)
		}
	}
}

func TestCheckCallback(t *testing.T) {
	for u, ok := range map[string]bool{
		"https://example.com/oura/webhook":  true,
		"https://example.com:8443/hook?a=b": true,
		"http://127.0.0.1:8080/hook":        true,
		"http://[::1]:8080/hook":            true,
		"http://localhost:8080/hook":        true,
		"http://example.com/hook":           false,
		"http://192.168.1.5/hook":           false,
		"ftp://example.com/hook":            false,
		"/hook":                             false,
		"example.com/hook":                  false,
		"https://user:pw@example.com/hook":  false,
		"https://example.com/hook#frag":     false,
		"":                                  false,
		"http://127.0.0.1.example.com/hook": false,
	} {
		err := CheckCallback(u)
		if (err == nil) != ok {
			t.Errorf("CheckCallback(%q) = %v, want ok %v", u, err, ok)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("CheckCallback(%q) quotes the password: %v", u, err)
		}
	}
}
