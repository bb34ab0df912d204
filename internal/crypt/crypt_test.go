package crypt

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

// writeFile writes s to a file in a fresh temporary folder and returns its path.
func writeFile(t testing.TB, name, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// newIdentity returns a fresh X25519 identity.
func newIdentity(t testing.TB) *age.X25519Identity {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// encrypt encrypts plain to recipients.
func encrypt(t testing.TB, plain []byte, to ...age.Recipient) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, to...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fastScrypt lowers the work factor of a passphrase recipient, so that
// tests do not spend a second per encryption.
func fastScrypt(t testing.TB, r age.Recipient) age.Recipient {
	t.Helper()
	sr, ok := r.(*age.ScryptRecipient)
	if !ok {
		t.Fatalf("passphrase recipient is a %T", r)
	}
	sr.SetWorkFactor(10)
	return sr
}

// decrypt opens ct with ids through Open and reads it whole.
func decrypt(ct []byte, ids []age.Identity) ([]byte, error) {
	ra, n, err := Open(bytes.NewReader(ct), int64(len(ct)), ids)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(io.NewSectionReader(ra, 0, n))
}

func TestRecipients(t *testing.T) {
	a, b, c := newIdentity(t), newIdentity(t), newIdentity(t)
	hy, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, "recipients.txt", "# the study's keys\n\n"+b.Recipient().String()+"\n\n# another\n"+c.Recipient().String()+"\n")
	rs, err := Recipients([]string{"  " + a.Recipient().String() + "\n", file, hy.Recipient().String()})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 4 {
		t.Fatalf("%d recipients, want 4 (one given, two in the file, one post-quantum)", len(rs))
	}
	// age does not mix post-quantum and classic recipients in one file:
	// the three classic ones share one, the hybrid one gets its own.
	ct := encrypt(t, []byte("hello"), rs[:3]...)
	for _, id := range []age.Identity{a, b, c} {
		got, err := decrypt(ct, []age.Identity{id})
		if err != nil || string(got) != "hello" {
			t.Errorf("identity %T: %q, %v", id, got, err)
		}
	}
	ct = encrypt(t, []byte("hello"), rs[3])
	if got, err := decrypt(ct, []age.Identity{hy}); err != nil || string(got) != "hello" {
		t.Errorf("hybrid identity: %q, %v", got, err)
	}
	if rs, err := Recipients(nil); err != nil || len(rs) != 0 {
		t.Errorf("no specs: %v, %v", rs, err)
	}
}

func TestRecipientsErrors(t *testing.T) {
	id := newIdentity(t)
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, bytes.Repeat([]byte("#"), maxKeyFile+1), 0o600); err != nil {
		t.Fatal(err)
	}
	pub := id.Recipient().String()
	for _, tc := range []struct{ name, spec, want string }{
		{"truncated recipient", pub[:len(pub)-5], "is not an age recipient"},
		{"bad checksum", pub[:len(pub)-1] + otherChar(pub[len(pub)-1]), "is not an age recipient"},
		{"two recipients in one value", pub + " " + pub, "is not an age recipient"},
		{"ssh key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE user@host", "SSH keys are not supported"},
		{"missing file", filepath.Join(dir, "nope"), "neither an age recipient"},
		{"empty spec", "", "neither an age recipient"},
		{"secret key file", writeFile(t, "key.txt", id.String()+"\n"), "holds a secret key"},
		{"empty file", writeFile(t, "empty.txt", ""), "recipients file"},
		{"comments only", writeFile(t, "c.txt", "# nothing\n\n"), "recipients file"},
		{"garbage file", writeFile(t, "g.txt", "hello world\n"), "recipients file"},
		{"truncated file", writeFile(t, "t.txt", pub[:30]+"\n"), "recipients file"},
		{"too large", big, "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := Recipients([]string{pub, tc.spec})
			if err == nil {
				t.Fatalf("accepted %q: %d recipients", tc.spec, len(rs))
			}
			if !errors.Is(err, ErrKey) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want ErrKey and %q", err, tc.want)
			}
			if rs != nil {
				t.Errorf("recipients with an error: %v", rs)
			}
			if strings.Contains(err.Error(), "AGE-SECRET-KEY") {
				t.Errorf("the error shows a secret key: %v", err)
			}
		})
	}
}

// otherChar returns a bech32 character other than c.
func otherChar(c byte) string {
	if c == 'q' {
		return "p"
	}
	return "q"
}

func TestPassphrase(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"correct horse\n", "correct horse"},
		{"  spaced out \t\r\nsecond line\n", "spaced out"},
		{"no newline", "no newline"},
		{"\xef\xbb\xbfbom", "\ufeffbom"}, // kept as written: age compares bytes
	} {
		got, err := Passphrase(writeFile(t, "pass", tc.in))
		if err != nil || got != tc.want {
			t.Errorf("Passphrase(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "\n", "   \nsecond line is not read\n", "\t\r\n"} {
		p := writeFile(t, "pass", in)
		if got, err := Passphrase(p); err == nil || !errors.Is(err, ErrKey) || !strings.Contains(err.Error(), "is empty") {
			t.Errorf("Passphrase(%q) = %q, %v; want an empty-file error", in, got, err)
		}
	}
	if _, err := Passphrase(filepath.Join(t.TempDir(), "missing")); err == nil || !errors.Is(err, ErrKey) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := PassphraseRecipient(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, ErrKey) {
		t.Errorf("PassphraseRecipient of a missing file: %v", err)
	}
}

func TestPassphraseRoundTrip(t *testing.T) {
	pass := writeFile(t, "pass", "open sesame\n")
	r, err := PassphraseRecipient(pass)
	if err != nil {
		t.Fatal(err)
	}
	ct := encrypt(t, []byte("sealed"), fastScrypt(t, r))
	ids, err := Identities(nil, pass)
	if err != nil || len(ids) != 1 {
		t.Fatalf("Identities: %v, %v", ids, err)
	}
	if got, err := decrypt(ct, ids); err != nil || string(got) != "sealed" {
		t.Fatalf("decrypt: %q, %v", got, err)
	}
	// The same passphrase with different surrounding white space opens it too.
	ids, _ = Identities(nil, writeFile(t, "pass2", "  open sesame  \r\n"))
	if got, err := decrypt(ct, ids); err != nil || string(got) != "sealed" {
		t.Errorf("decrypt with the passphrase padded: %q, %v", got, err)
	}
	// A wrong passphrase does not.
	ids, _ = Identities(nil, writeFile(t, "wrong", "open sesame!\n"))
	if _, err := decrypt(ct, ids); !errors.Is(err, ErrKey) || !strings.Contains(err.Error(), "none of the given identities") {
		t.Errorf("wrong passphrase: %v", err)
	}
}

func TestIdentities(t *testing.T) {
	a, b := newIdentity(t), newIdentity(t)
	hy, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	keys := writeFile(t, "keys.txt", "# created: today\n# public key: "+a.Recipient().String()+"\n"+a.String()+"\n\n"+hy.String()+"\n")
	other := writeFile(t, "other.txt", b.String())
	pass := writeFile(t, "pass", "pw\n")
	ids, err := Identities([]string{keys, other}, pass)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 4 {
		t.Fatalf("%d identities, want 4", len(ids))
	}
	for _, r := range []age.Recipient{a.Recipient(), b.Recipient(), hy.Recipient()} {
		ct := encrypt(t, []byte("x"), r)
		if got, err := decrypt(ct, ids); err != nil || string(got) != "x" {
			t.Errorf("recipient %T: %q, %v", r, got, err)
		}
	}
	if ids, err := Identities(nil, ""); err != nil || len(ids) != 0 {
		t.Errorf("nothing given: %v, %v", ids, err)
	}
}

func TestIdentitiesErrors(t *testing.T) {
	a := newIdentity(t)
	sec := a.String()
	dir := t.TempDir()
	for _, tc := range []struct{ name, content, want string }{
		{"public key", a.Recipient().String() + "\n", "holds no age identity"},
		{"truncated", sec[:len(sec)-6] + "\n", "holds no age identity"},
		{"lower case", strings.ToLower(sec) + "\n", "holds no age identity"},
		{"empty", "", "holds no age identity"},
		{"comments only", "# nothing\n", "holds no age identity"},
		{"garbage after a key", sec + "\nnonsense\n", "holds no age identity"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			if err := os.WriteFile(p, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			ids, err := Identities([]string{p}, "")
			if err == nil || !errors.Is(err, ErrKey) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, %v; want ErrKey and %q", ids, err, tc.want)
			}
			if strings.Contains(err.Error(), sec[len("AGE-SECRET-KEY-1"):len("AGE-SECRET-KEY-1")+10]) {
				t.Errorf("the error shows the secret key: %v", err)
			}
		})
	}
	if _, err := Identities([]string{filepath.Join(dir, "missing")}, ""); !errors.Is(err, ErrKey) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing identity file: %v", err)
	}
	if _, err := Identities(nil, writeFile(t, "empty", "\n")); !errors.Is(err, ErrKey) {
		t.Errorf("empty passphrase file: %v", err)
	}
}

func TestWrongKey(t *testing.T) {
	a, b := newIdentity(t), newIdentity(t)
	ct := encrypt(t, []byte("for a only"), a.Recipient())
	_, err := decrypt(ct, []age.Identity{b})
	if !errors.Is(err, ErrKey) || !strings.Contains(err.Error(), "none of the given identities or passphrases opens it") {
		t.Fatalf("wrong key: %v", err)
	}
	// A passphrase identity cannot open a file encrypted to a key (age's rule).
	sid, _ := age.NewScryptIdentity("pw")
	if _, err := decrypt(ct, []age.Identity{sid}); !errors.Is(err, ErrKey) {
		t.Errorf("passphrase for a key-encrypted file: %v", err)
	}
	if _, err := decrypt(ct, nil); err == nil {
		t.Error("no identities: no error")
	}
}

func TestTruncatedAndDamaged(t *testing.T) {
	a := newIdentity(t)
	plain := bytes.Repeat([]byte("0123456789abcdef"), 8<<10) // 128 KiB: two chunks
	ct := encrypt(t, plain, a.Recipient())
	ids := []age.Identity{a}
	if got, err := decrypt(ct, ids); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("intact file: %d bytes, %v", len(got), err)
	}
	hdrEnd := bytes.Index(ct, []byte("\n--- ")) + 1
	hdrEnd += bytes.IndexByte(ct[hdrEnd:], '\n') + 1
	for _, n := range []int{0, 1, len(Magic) - 1, len(Magic), hdrEnd - 1, hdrEnd, hdrEnd + 10, len(ct) - 17, len(ct) - 1} {
		cut := ct[:n]
		if n < hdrEnd {
			if err := CheckHeader(bytes.NewReader(cut)); err == nil {
				t.Errorf("CheckHeader accepted a file cut at %d of %d (header %d)", n, len(ct), hdrEnd)
			} else if !strings.HasPrefix(err.Error(), "not a complete age header") || strings.Contains(err.Error(), "\n") {
				t.Errorf("CheckHeader error %q", err)
			}
		}
		got, err := decrypt(cut, ids)
		if err == nil {
			t.Errorf("a file cut at %d of %d decrypted to %d bytes", n, len(ct), len(got))
		}
	}
	if err := CheckHeader(bytes.NewReader(ct)); err != nil {
		t.Errorf("CheckHeader of an intact file: %v", err)
	}
	if err := CheckHeader(bytes.NewReader(ct[:hdrEnd])); err != nil {
		t.Errorf("CheckHeader of the header alone: %v", err)
	}
	// Any flipped bit of the payload is found on reading.
	for _, i := range []int{hdrEnd, hdrEnd + 20, len(ct) / 2, len(ct) - 1} {
		bad := bytes.Clone(ct)
		bad[i] ^= 0x04
		if got, err := decrypt(bad, ids); err == nil && bytes.Equal(got, plain) {
			t.Errorf("a flipped bit at %d went unnoticed", i)
		}
	}
}

func TestIsEncrypted(t *testing.T) {
	a := newIdentity(t)
	ct := encrypt(t, []byte("x"), a.Recipient())
	for _, tc := range []struct {
		in   []byte
		want bool
	}{
		{ct, true},
		{[]byte(Magic), true},
		{[]byte(Magic[:len(Magic)-1]), false},
		{nil, false},
		{[]byte("PK\x03\x04"), false},
		{[]byte("-----BEGIN AGE ENCRYPTED FILE-----\n"), false}, // armored files are not written or read
	} {
		if got := IsEncrypted(bytes.NewReader(tc.in)); got != tc.want {
			t.Errorf("IsEncrypted(%q) = %v", tc.in[:min(len(tc.in), 24)], got)
		}
	}
}

func TestContext(t *testing.T) {
	ctx := context.Background()
	if IdentitiesFrom(ctx) != nil || WantRows(ctx) {
		t.Fatal("a bare context carries identities or asks for rows")
	}
	ids := []age.Identity{newIdentity(t)}
	ctx = WithRows(WithIdentities(ctx, ids))
	if got := IdentitiesFrom(ctx); len(got) != 1 || got[0] != ids[0] || !WantRows(ctx) {
		t.Fatalf("got %v, %v", got, WantRows(ctx))
	}
}

func TestAbbrev(t *testing.T) {
	if got := abbrev("short"); got != "short" {
		t.Errorf("abbrev(short) = %q", got)
	}
	if got := abbrev(strings.Repeat("a", 25)); got != strings.Repeat("a", 20)+"..." {
		t.Errorf("abbrev(25 a) = %q", got)
	}
}
