package webhook

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/ouraexport/ouraexport/internal/atomicfile"
)

// TokenFile is the verification token file's name, kept beside the login
// file (token.json) by default.
const TokenFile = "webhook-token"

// LoadOrCreateToken returns the verification token kept in the file at
// path, first creating it (a random 256-bit token, the file 0600, its
// folder 0700) when there is none. Two processes creating it at once get
// the same token. A file readable by others is refused on Unix: it holds a
// secret.
func LoadOrCreateToken(path string) (string, error) {
	tok, err := readToken(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return tok, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("create the folder of the verification token file: %w", err)
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails
	tok = base64.RawURLEncoding.EncodeToString(b)
	if err := createOnce(path, []byte(tok+"\n")); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readToken(path) // another process made it first
		}
		return "", fmt.Errorf("write the verification token file %s: %w", path, err)
	}
	return tok, nil
}

// readToken reads the token file at path.
func readToken(path string) (string, error) {
	info, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		return "", fmt.Errorf("verification token file: %w", err)
	}
	if info.IsDir() {
		return "", fmt.Errorf("verification token file %s is a folder", path)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("verification token file %s is readable by others (mode %04o): run chmod 600 %s", path, info.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("verification token file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	switch {
	case tok == "":
		return "", fmt.Errorf("verification token file %s is empty: delete it to have a new token made", path)
	case strings.ContainsAny(tok, " \t\r\n") || len(tok) > 1024:
		return "", fmt.Errorf("verification token file %s holds more than one token: it must hold one line", path)
	}
	return tok, nil
}

// createOnce writes b to path unless path exists (fs.ErrExist): a
// temporary file, written and synced, is linked into place, so the file
// appears complete or not at all.
func createOnce(path string, b []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*") // 0600
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Link(f.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fs.ErrExist
		}
		return err
	}
	return atomicfile.SyncDir(dir)
}
