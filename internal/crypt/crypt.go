// Package crypt is the age layer of encrypted archives: it turns the
// command line's recipients, identities and passphrase files into age
// recipients and identities, and carries identities to the archive's
// Checker through a context.
//
// Only age's own key types are accepted (X25519 "age1..." and the hybrid
// post-quantum "age1pq1..."); SSH keys would need filippo.io/age/agessh,
// whose dependencies are not in go.sum.
package crypt

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"filippo.io/age"
)

// Ext is the extension an encrypted file gets after its own (.zip.age).
const Ext = ".age"

// ErrKey is wrapped by every error about a recipient, identity or passphrase
// the user gave: the command line maps it to a usage error.
var ErrKey = errors.New("encryption key")

// Magic is the first line of every age file.
const Magic = "age-encryption.org/v1\n"

// maxKeyFile bounds what is read from a recipients, identity or passphrase file.
const maxKeyFile = 1 << 20

// Recipients parses the --encrypt-to values: each is an age recipient
// ("age1...") or the path of a recipients file (one recipient a line, '#'
// comments and blank lines ignored, as age -R reads it).
func Recipients(specs []string) ([]age.Recipient, error) {
	var out []age.Recipient
	for _, s := range specs {
		s = strings.TrimSpace(s)
		if strings.HasPrefix(s, "age1") {
			rs, err := age.ParseRecipients(strings.NewReader(s))
			if err != nil {
				return nil, fmt.Errorf("%w: --encrypt-to %s is not an age recipient: %w", ErrKey, abbrev(s), err)
			}
			out = append(out, rs...)
			continue
		}
		if strings.HasPrefix(s, "ssh-") {
			return nil, fmt.Errorf("%w: --encrypt-to: SSH keys are not supported; make an age key with age-keygen and give its public key (age1...)", ErrKey)
		}
		b, err := readKeyFile(s)
		if err != nil {
			return nil, fmt.Errorf("%w: --encrypt-to %s is neither an age recipient (age1...) nor a readable recipients file: %w", ErrKey, s, err)
		}
		if bytes.HasPrefix(b, []byte("AGE-SECRET-KEY-")) {
			return nil, fmt.Errorf("%w: --encrypt-to %s holds a secret key; give the public key (age1..., printed by age-keygen -y)", ErrKey, s)
		}
		rs, err := age.ParseRecipients(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%w: recipients file %s: %w", ErrKey, s, err)
		}
		out = append(out, rs...)
	}
	return out, nil
}

// Passphrase reads a passphrase from the first line of file (the line feed
// and surrounding white space dropped). It must not be empty.
func Passphrase(file string) (string, error) {
	b, err := readKeyFile(file)
	if err != nil {
		return "", fmt.Errorf("%w: read the passphrase file: %w", ErrKey, err)
	}
	line, _, _ := bytes.Cut(b, []byte{'\n'})
	p := strings.TrimSpace(string(line))
	if p == "" {
		return "", fmt.Errorf("%w: the passphrase file %s is empty; write the passphrase on its first line", ErrKey, file)
	}
	return p, nil
}

// PassphraseRecipient returns the scrypt recipient for the passphrase in file.
// An archive encrypted to it can have no other recipient (age's rule).
func PassphraseRecipient(file string) (age.Recipient, error) {
	p, err := Passphrase(file)
	if err != nil {
		return nil, err
	}
	r, err := age.NewScryptRecipient(p)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	return r, nil
}

// Identities reads the identities that decrypt an archive: the age
// identity files (AGE-SECRET-KEY-1... lines, as age-keygen writes them) and
// the passphrase file, either of which may be "".
func Identities(identityFiles []string, passphraseFile string) ([]age.Identity, error) {
	var out []age.Identity
	for _, f := range identityFiles {
		b, err := readKeyFile(f)
		if err != nil {
			return nil, fmt.Errorf("%w: read --identity: %w", ErrKey, err)
		}
		ids, err := age.ParseIdentities(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%w: --identity %s holds no age identity (AGE-SECRET-KEY-1...): %w", ErrKey, f, err)
		}
		out = append(out, ids...)
	}
	if passphraseFile != "" {
		p, err := Passphrase(passphraseFile)
		if err != nil {
			return nil, err
		}
		id, err := age.NewScryptIdentity(p)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrKey, err)
		}
		out = append(out, id)
	}
	return out, nil
}

// readKeyFile reads a small key file, refusing anything larger than maxKeyFile.
func readKeyFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxKeyFile {
		return nil, fmt.Errorf("%s is larger than %d bytes: not a key file", name, maxKeyFile)
	}
	return b, nil
}

// abbrev shortens a long value for an error message.
func abbrev(s string) string {
	if len(s) > 24 {
		return s[:20] + "..."
	}
	return s
}

// IsEncrypted reports whether r starts with the age header line.
func IsEncrypted(r io.Reader) bool {
	b := make([]byte, len(Magic))
	n, _ := io.ReadFull(r, b)
	return string(b[:n]) == Magic
}

// CheckHeader reads the header of the age file in r and checks that it is
// well formed (it cannot check more without an identity).
func CheckHeader(r io.Reader) error {
	if _, err := age.ExtractHeader(bufio.NewReader(r)); err != nil {
		return fmt.Errorf("not a complete age header: %w", singleLine(err))
	}
	return nil
}

// Open decrypts the age file in r (size bytes) for random access: what a
// zip reader needs. Nothing is decrypted to disk. It fails with a message
// saying so when none of the identities can open the file.
func Open(r io.ReaderAt, size int64, ids []age.Identity) (io.ReaderAt, int64, error) {
	pr, n, err := age.DecryptReaderAt(r, size, ids...)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			return nil, 0, fmt.Errorf("%w: none of the given identities or passphrases opens it", ErrKey)
		}
		return nil, 0, singleLine(err)
	}
	return pr, n, nil
}

// singleLine returns err with its message on one line: age adds notes on
// lines of their own to some header errors, and verify reports one problem
// a line.
func singleLine(err error) error {
	if !strings.ContainsAny(err.Error(), "\r\n") {
		return err
	}
	return lineError{err}
}

type lineError struct{ err error }

func (e lineError) Error() string {
	return strings.Join(strings.FieldsFunc(e.err.Error(), func(r rune) bool { return r == '\n' || r == '\r' }), "; ")
}

func (e lineError) Unwrap() error { return e.err }

type ctxKey struct{}

// WithIdentities returns a context carrying ids to the Checker of encrypted
// archives (sinks.Verify calls Checkers with its context).
func WithIdentities(ctx context.Context, ids []age.Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, ids)
}

// IdentitiesFrom returns the identities ctx carries, or nil.
func IdentitiesFrom(ctx context.Context) []age.Identity {
	ids, _ := ctx.Value(ctxKey{}).([]age.Identity)
	return ids
}

type rowsKey struct{}

// WithRows returns a context asking the encrypted archive's Checker to
// return the rows inside (for an archive verified on its own, not as a
// file of an export whose manifest lists it with 0 rows).
func WithRows(ctx context.Context) context.Context {
	return context.WithValue(ctx, rowsKey{}, true)
}

// WantRows reports whether ctx asks for the rows inside an encrypted archive.
func WantRows(ctx context.Context) bool {
	v, _ := ctx.Value(rowsKey{}).(bool)
	return v
}
