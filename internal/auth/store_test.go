package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func sampleToken() *Token {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return &Token{
		AccessToken: "access-AAAA", RefreshToken: "refresh-RRRR", TokenType: "bearer",
		Expiry: now.Add(24 * time.Hour), Issued: now, Scopes: []string{"daily", "heartrate"},
		ClientID: "client", TokenURL: "https://api.example/oauth/token", APIURL: "https://api.example",
		Account: "acct-1", Email: "a@example.com", LoggedIn: now, Refreshes: 3,
	}
}

func TestStoreRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cfg", "ouraexport")
	st := NewStore(filepath.Join(dir, "token.json"))
	want := sampleToken()
	if err := st.Save(context.Background(), want); err != nil {
		t.Fatal(err)
	}
	got, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got.Scopes) != fmt.Sprint(want.Scopes) || got.AccessToken != want.AccessToken || got.RefreshToken != want.RefreshToken ||
		!got.Expiry.Equal(want.Expiry) || !got.Issued.Equal(want.Issued) || got.Account != want.Account || got.Refreshes != 3 ||
		got.TokenURL != want.TokenURL || got.APIURL != want.APIURL || got.ClientID != want.ClientID || got.Email != want.Email {
		t.Errorf("got %#v, want %#v", got, want)
	}
	if runtime.GOOS != "windows" {
		for path, mode := range map[string]os.FileMode{dir: 0o700, st.Path(): 0o600, st.Path() + ".lock": 0o600} {
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if info.Mode().Perm() != mode {
				t.Errorf("%s: mode %04o, want %04o", path, info.Mode().Perm(), mode)
			}
		}
	}
	// A crashed save's temporary file is cleaned up by the next save.
	stale := filepath.Join(dir, ".token.json.tmp-123")
	if err := os.WriteFile(stale, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := st.Save(context.Background(), want); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "token.json token.json.lock" {
		t.Errorf("folder holds %q", names)
	}
	if err := st.Delete(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Load(); !errors.Is(err, ErrNoLogin) {
		t.Errorf("after Delete: %v, want ErrNoLogin", err)
	}
	if err := st.Delete(context.Background()); err != nil {
		t.Errorf("second Delete: %v", err)
	}
}

func TestStoreLoadErrors(t *testing.T) {
	good, err := json.Marshal(map[string]any{"format": FileFormat, "access_token": "a", "refresh_token": "r",
		"client_id": "c", "token_url": "https://x/oauth/token", "api_url": "https://x"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data string
		mode os.FileMode
		want string
	}{
		{"bare token", "sometoken\n", 0o600, "not a login file"},
		{"broken json", "{\"format\": ", 0o600, "not a login file"},
		{"no format", `{"access_token": "a", "api_url": "x"}`, 0o600, "no format"},
		{"newer format", `{"format": "ouraexport-login/2", "access_token": "a", "api_url": "x"}`, 0o600, "newer ouraexport"},
		{"no token", `{"format": "ouraexport-login/1", "api_url": "x"}`, 0o600, "holds no token"},
		{"refresh without endpoint", `{"format": "ouraexport-login/1", "refresh_token": "r", "api_url": "x"}`, 0o600, "no token_url"},
		{"no api", `{"format": "ouraexport-login/1", "access_token": "a"}`, 0o600, "no api_url"},
		{"spaces", `{"format": "ouraexport-login/1", "access_token": "a b", "api_url": "x"}`, 0o600, "malformed"},
		{"readable by others", string(good), 0o644, "chmod 600"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.mode&0o077 != 0 && runtime.GOOS == "windows" {
				t.Skip("no unix modes")
			}
			path := filepath.Join(t.TempDir(), "token.json")
			if err := os.WriteFile(path, []byte(tc.data), tc.mode); err != nil {
				t.Fatal(err)
			}
			os.Chmod(path, tc.mode)
			_, err := NewStore(path).Load()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	path := filepath.Join(t.TempDir(), "token.json")
	if err := os.WriteFile(path, good, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewStore(path).Load(); err != nil {
		t.Errorf("good file: %v", err)
	}
}

func TestIsLogin(t *testing.T) {
	for in, want := range map[string]bool{"  {\"format\":1}": true, "sandbox-token-1\n": false, "": false, "\n{": true} {
		if got := IsLogin([]byte(in)); got != want {
			t.Errorf("IsLogin(%q) = %v", in, got)
		}
	}
}

// TestTokenNeverShown checks that formatting and logging a login never
// show its tokens.
func TestTokenNeverShown(t *testing.T) {
	tok := sampleToken()
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "login", tok, "value", *tok)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "login", tok)
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%v %+v %#v %s", *tok, *tok, *tok, tok), buf.String()} {
		noSecrets(t, "formatting", s, tok)
		if !strings.Contains(s, "acct-1") {
			t.Errorf("the description lacks the account: %s", s)
		}
	}
}

func TestDue(t *testing.T) {
	issued := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		life   time.Duration
		at     time.Duration // after issued
		margin time.Duration
		due    bool
	}{
		{"day-long fresh", 24 * time.Hour, time.Hour, 5 * time.Minute, false},
		{"day-long 6 minutes left", 24 * time.Hour, 24*time.Hour - 6*time.Minute, 5 * time.Minute, false},
		{"day-long 4 minutes left", 24 * time.Hour, 24*time.Hour - 4*time.Minute, 5 * time.Minute, true},
		{"expired", 24 * time.Hour, 25 * time.Hour, 5 * time.Minute, true},
		{"seconds-long fresh", 10 * time.Second, 8 * time.Second, time.Second, false},
		{"seconds-long 10% left", 10 * time.Second, 9 * time.Second, time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := &Token{AccessToken: "a", Issued: issued, Expiry: issued.Add(tc.life)}
			if got := tok.Margin(); got != tc.margin {
				t.Errorf("Margin = %s, want %s", got, tc.margin)
			}
			if got := tok.Due(issued.Add(tc.at)); got != tc.due {
				t.Errorf("Due = %v, want %v", got, tc.due)
			}
		})
	}
	if (&Token{AccessToken: "a"}).Due(issued.Add(1000 * time.Hour)) {
		t.Error("a token without expiry is due")
	}
	if !(&Token{}).Due(issued) {
		t.Error("a missing access token is not due")
	}
}
