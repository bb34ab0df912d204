package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/ouraexport/ouraexport/internal/atomicfile"
)

// FileFormat identifies a login file; a newer format is refused, not misread.
const FileFormat = "ouraexport-login/1"

// maxFileSize bounds a login file (a few hundred bytes in practice).
const maxFileSize = 64 << 10

// DefaultPath returns where 'auth login' stores the login:
// <user config dir>/ouraexport/token.json ($XDG_CONFIG_HOME on Linux,
// ~/Library/Application Support on macOS, %AppData% on Windows).
func DefaultPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the user config folder: %w", err)
	}
	return filepath.Join(dir, "ouraexport", "token.json"), nil
}

// Store is a login file: the token pair and its metadata, written
// atomically (temporary file 0600, fsync, rename, fsync of the folder) under
// an exclusive lock on the file next to it (<path>.lock). Its folder is
// created 0700.
type Store struct {
	path string
}

// NewStore returns the store of the login file at path.
func NewStore(path string) *Store { return &Store{path: path} }

// Path returns the login file's path.
func (s *Store) Path() string { return s.path }

func (s *Store) lockPath() string { return s.path + ".lock" }

// Lock takes the store's exclusive lock, waiting until ctx ends. Every
// write of the file happens under it.
func (s *Store) Lock(ctx context.Context) (unlock func(), err error) {
	if err := s.mkdir(); err != nil {
		return nil, err
	}
	return lockFile(ctx, s.lockPath())
}

// mkdir creates the file's folder, 0700, if it is missing.
func (s *Store) mkdir() error {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("create the login folder: %w", err)
	}
	return nil
}

// fileToken is the login file's JSON.
type fileToken struct {
	Format       string    `json:"format"`
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	TokenType    string    `json:"token_type,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
	Issued       time.Time `json:"issued,omitzero"`
	Scopes       []string  `json:"scopes,omitempty"`
	ClientID     string    `json:"client_id,omitempty"`
	TokenURL     string    `json:"token_url,omitempty"`
	APIURL       string    `json:"api_url"`
	Account      string    `json:"account,omitempty"`
	Email        string    `json:"email,omitempty"`
	LoggedIn     time.Time `json:"logged_in,omitzero"`
	Refreshes    int       `json:"refreshes,omitempty"`
	Saved        time.Time `json:"saved"`
}

// IsLogin reports whether data looks like a login file (a JSON object),
// as opposed to a bare access token.
func IsLogin(data []byte) bool {
	return bytes.HasPrefix(bytes.TrimSpace(data), []byte("{"))
}

// Load reads the login. A missing file is ErrNoLogin; on unix a file that
// other users may read is refused (its tokens may have leaked: log in
// again after chmod 600).
func (s *Store) Load() (*Token, error) {
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w (%s does not exist)", ErrNoLogin, s.path)
	}
	if err != nil {
		return nil, fmt.Errorf("read the login: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read the login: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("login %s is not a regular file", s.path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" && runtime.GOOS != "plan9" {
		return nil, fmt.Errorf("login %s may be read by other users (mode %04o): run chmod 600 %s", s.path, perm, s.path)
	}
	if info.Size() > maxFileSize {
		return nil, fmt.Errorf("login %s is too large to be a login file", s.path)
	}
	data := make([]byte, info.Size())
	if _, err := f.ReadAt(data, 0); err != nil && info.Size() > 0 {
		return nil, fmt.Errorf("read the login: %w", err)
	}
	t, err := decodeToken(data)
	if err != nil {
		return nil, fmt.Errorf("login %s: %w", s.path, err)
	}
	return t, nil
}

// decodeToken parses and checks a login file.
func decodeToken(data []byte) (*Token, error) {
	if !IsLogin(data) {
		return nil, errors.New("not a login file (want a JSON object written by 'ouraexport auth login')")
	}
	var ft fileToken
	if err := json.Unmarshal(data, &ft); err != nil {
		return nil, fmt.Errorf("not a login file: %w", err)
	}
	switch {
	case ft.Format == "":
		return nil, errors.New("not a login file written by 'ouraexport auth login' (no format)")
	case ft.Format != FileFormat:
		return nil, fmt.Errorf("format %q is not %q: written by a newer ouraexport?", ft.Format, FileFormat)
	case ft.AccessToken == "" && ft.RefreshToken == "":
		return nil, errors.New("holds no token")
	case ft.RefreshToken != "" && (ft.TokenURL == "" || ft.ClientID == ""):
		return nil, errors.New("holds a refresh token but no token_url or client_id")
	case ft.APIURL == "":
		return nil, errors.New("holds no api_url")
	case strings.ContainsAny(ft.AccessToken+ft.RefreshToken, " \t\r\n"):
		return nil, errors.New("holds a malformed token")
	}
	return &Token{
		AccessToken: ft.AccessToken, RefreshToken: ft.RefreshToken, TokenType: ft.TokenType,
		Expiry: ft.Expiry, Issued: ft.Issued, Scopes: ft.Scopes, ClientID: ft.ClientID,
		TokenURL: ft.TokenURL, APIURL: ft.APIURL, Account: ft.Account, Email: ft.Email,
		LoggedIn: ft.LoggedIn, Refreshes: ft.Refreshes,
	}, nil
}

// Save writes t under the store's lock.
func (s *Store) Save(ctx context.Context, t *Token) error {
	unlock, err := s.Lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	return s.save(t)
}

// save writes t atomically; the caller holds the lock. When it returns
// nil, the file on disk is t, durably.
func (s *Store) save(t *Token) error {
	if err := s.mkdir(); err != nil {
		return err
	}
	data, err := json.MarshalIndent(fileToken{
		Format: FileFormat, AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: t.TokenType,
		Expiry: t.Expiry.UTC(), Issued: t.Issued.UTC(), Scopes: t.Scopes, ClientID: t.ClientID,
		TokenURL: t.TokenURL, APIURL: t.APIURL, Account: t.Account, Email: t.Email,
		LoggedIn: t.LoggedIn.UTC(), Refreshes: t.Refreshes, Saved: time.Now().UTC(),
	}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the login: %w", err)
	}
	data = append(data, '\n')
	s.removeTemps()
	if err := atomicfile.WriteFile(s.path, data); err != nil {
		return fmt.Errorf("save the login to %s: %w", s.path, err)
	}
	return nil
}

// removeTemps removes temporary files a crashed save left behind; the
// caller holds the lock, so no save is in progress.
func (s *Store) removeTemps() {
	dir, base := filepath.Split(s.path)
	old, _ := filepath.Glob(filepath.Join(dir, "."+globEscape(base)+".tmp-*"))
	for _, p := range old {
		_ = os.Remove(p)
	}
}

// globEscape escapes filepath.Match's special characters.
func globEscape(s string) string {
	if runtime.GOOS == "windows" {
		return strings.NewReplacer("*", "[*]", "?", "[?]", "[", "[[]").Replace(s)
	}
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`).Replace(s)
}

// Delete removes the login file under the lock. A missing file is no error.
func (s *Store) Delete(ctx context.Context) error {
	unlock, err := s.Lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	return s.remove()
}

// remove deletes the login file and any temporary files, durably; the
// caller holds the lock. A missing file is no error.
func (s *Store) remove() error {
	if err := os.Remove(s.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove the login: %w", err)
	}
	s.removeTemps()
	if err := atomicfile.SyncDir(filepath.Dir(s.path)); err != nil {
		return fmt.Errorf("remove the login: %w", err)
	}
	return nil
}
