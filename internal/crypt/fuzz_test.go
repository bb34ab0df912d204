package crypt

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

// Fixed keys, so that seeds stay valid from run to run (the scalar is the
// bytes 1..32; they protect nothing).
const (
	fuzzSecret = "AGE-SECRET-KEY-1QYPQXPQ9QCRSSZG2PVXQ6RS0ZQG3YYC5Z5TPWXQERGD3C8G7RUSQGPQYEE"
	fuzzPass   = "fuzz passphrase"
	fuzzPlain  = "the one plaintext every seed holds"
)

// fuzzKeys returns the identity of fuzzSecret, its recipient, and a
// passphrase identity whose work factor is capped low (a fuzzed header
// could otherwise ask for gigabytes of scrypt).
func fuzzKeys(t testing.TB) (*age.X25519Identity, *age.X25519Recipient, *age.ScryptIdentity) {
	t.Helper()
	id, err := age.ParseX25519Identity(fuzzSecret)
	if err != nil {
		t.Fatal(err)
	}
	sid, err := age.NewScryptIdentity(fuzzPass)
	if err != nil {
		t.Fatal(err)
	}
	sid.SetMaxWorkFactor(12)
	return id, id.Recipient(), sid
}

// oneLine fails when err's message spans lines or looks like a stack trace.
func oneLine(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if strings.ContainsAny(msg, "\n\r") || strings.Contains(msg, "goroutine ") || msg == "" {
		t.Fatalf("error is not one line: %q", msg)
	}
}

// FuzzRecipients feeds arbitrary --encrypt-to values and recipients files.
// Every error wraps ErrKey; an error about a file is one line; a file
// whose first bytes are a secret key is refused; and every recipient
// parsed from a file is written in it (nothing invented, nothing
// normalised into another key).
func FuzzRecipients(f *testing.F) {
	_, r, _ := fuzzKeys(f)
	hy, err := age.GenerateHybridIdentity()
	if err != nil {
		f.Fatal(err)
	}
	pub, pq := r.String(), hy.Recipient().String()
	for _, s := range []struct{ spec, file string }{
		{pub, pub + "\n"},
		{"", "# keys\n\n" + pub + "\r\n" + pq + "\n"},
		{pq, "#only a comment\n"},
		{pub[:20], ""},
		{"ssh-ed25519 AAAA", fuzzSecret + "\n"},
		{"age1" + strings.Repeat("q", 60), "# c\n" + fuzzSecret + "\n"},
		{strings.ToUpper(pub), strings.ToUpper(pub) + "\n"},
		{"  " + pub + "\t", " " + pub + "\n"},
		{pub + "\n" + pub, pub + "\n" + pub[:len(pub)-1] + "\n"},
		{"age1\xff", "age1\xff\n"},
	} {
		f.Add(s.spec, []byte(s.file))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, spec string, file []byte) {
		p := filepath.Join(dir, "recipients")
		if err := os.WriteFile(p, file, 0o600); err != nil {
			t.Fatal(err)
		}
		if rs, err := Recipients([]string{spec}); err != nil {
			if !errors.Is(err, ErrKey) || rs != nil {
				t.Fatalf("Recipients(%q) = %v, %v: want ErrKey and no recipients", spec, rs, err)
			}
		} else if len(rs) == 0 && strings.TrimSpace(spec) != "" {
			t.Fatalf("Recipients(%q): no recipients and no error", spec)
		}
		rs, err := Recipients([]string{p})
		if err != nil {
			if !errors.Is(err, ErrKey) || rs != nil {
				t.Fatalf("recipients file %q: %v, %v: want ErrKey and no recipients", file, rs, err)
			}
			oneLine(t, err)
			if strings.Contains(err.Error(), "AGE-SECRET-KEY-1") {
				t.Fatalf("the error shows a secret key: %v", err)
			}
			return
		}
		if bytes.HasPrefix(file, []byte("AGE-SECRET-KEY-")) {
			t.Fatal("a secret key file was taken for recipients")
		}
		if len(rs) == 0 {
			t.Fatal("a recipients file gave no recipients and no error")
		}
		for _, r := range rs {
			s, ok := r.(fmt.Stringer)
			if !ok {
				t.Fatalf("recipient of type %T", r)
			}
			if !bytes.Contains(file, []byte(s.String())) {
				t.Fatalf("recipient %s is not in the file %q", s, file)
			}
		}
	})
}

// FuzzIdentities feeds arbitrary identity and passphrase files. Every error
// wraps ErrKey, is one line and never shows a line of the identity file
// that holds a secret key; every identity parsed is written in the file;
// and a passphrase that is accepted opens what PassphraseRecipient sealed
// with the same file.
func FuzzIdentities(f *testing.F) {
	id, _, _ := fuzzKeys(f)
	hy, err := age.GenerateHybridIdentity()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []struct{ ids, pass string }{
		{fuzzSecret + "\n", fuzzPass + "\n"},
		{"# created: now\n# public key: " + id.Recipient().String() + "\n" + fuzzSecret + "\n" + hy.String() + "\n", ""},
		{fuzzSecret[:40] + "\n", "\n"},
		{strings.ToLower(fuzzSecret), "  p  \r\nsecond"},
		{"\n\n# nothing\n", "\xff\xfe"},
		{id.Recipient().String(), "x"},
		{fuzzSecret + "\nAGE-SECRET-KEY-1QQQQ\n", "p"},
		{"AGE-SECRET-KEY-PQ-1XYZ\n", " \t"},
		{fuzzSecret + "\r\n" + fuzzSecret + "\r\n", "pass\x00word"},
	} {
		f.Add([]byte(s.ids), []byte(s.pass))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, idFile, passFile []byte) {
		ip, pp := filepath.Join(dir, "identities"), filepath.Join(dir, "passphrase")
		if err := os.WriteFile(ip, idFile, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(pp, passFile, 0o600); err != nil {
			t.Fatal(err)
		}
		noSecret := func(err error) {
			t.Helper()
			for _, line := range strings.Split(string(idFile), "\n") {
				line = strings.TrimSpace(line)
				if i := strings.Index(line, "AGE-SECRET-KEY-"); i >= 0 && len(line)-i > 20 && strings.Contains(err.Error(), line[i:]) {
					t.Fatalf("the error shows a secret key: %v", err)
				}
			}
		}
		ids, err := Identities([]string{ip}, "")
		if err != nil {
			if !errors.Is(err, ErrKey) || ids != nil {
				t.Fatalf("%v, %v: want ErrKey and no identities", ids, err)
			}
			oneLine(t, err)
			noSecret(err)
		} else {
			if len(ids) == 0 {
				t.Fatal("no identities and no error")
			}
			for _, id := range ids {
				s, ok := id.(fmt.Stringer)
				if !ok || !bytes.Contains(idFile, []byte(s.String())) {
					t.Fatalf("identity %T is not in the file", id)
				}
			}
		}
		pids, err := Identities(nil, pp)
		if err != nil {
			if !errors.Is(err, ErrKey) || pids != nil {
				t.Fatalf("passphrase: %v, %v: want ErrKey and no identities", pids, err)
			}
			oneLine(t, err)
			if p := strings.TrimSpace(string(passFile)); len(p) > 3 && strings.Contains(err.Error(), p) {
				t.Fatalf("the error shows the passphrase: %v", err)
			}
			return
		}
		r, err := PassphraseRecipient(pp)
		if err != nil || len(pids) != 1 {
			t.Fatalf("Identities accepts the passphrase file, PassphraseRecipient says %v", err)
		}
		r.(*age.ScryptRecipient).SetWorkFactor(4)
		var buf bytes.Buffer
		w, err := age.Encrypt(&buf, r)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, fuzzPlain)
		w.Close()
		got, err := decrypt(buf.Bytes(), pids)
		if err != nil || string(got) != fuzzPlain {
			t.Fatalf("the passphrase does not open what it sealed: %q, %v", got, err)
		}
	})
}

// FuzzDecrypt feeds arbitrary files to IsEncrypted, CheckHeader and Open.
// IsEncrypted is exactly "starts with the age header line"; a file Open
// accepts has a header CheckHeader accepts; every error is one line; and
// whatever decrypts completely is the plaintext the seeds were made from:
// no damaged or forged file yields other data.
func FuzzDecrypt(f *testing.F) {
	id, r, sid := fuzzKeys(f)
	seal := func(rs ...age.Recipient) []byte {
		var buf bytes.Buffer
		w, err := age.Encrypt(&buf, rs...)
		if err != nil {
			f.Fatal(err)
		}
		io.WriteString(w, fuzzPlain)
		w.Close()
		return buf.Bytes()
	}
	sr, err := age.NewScryptRecipient(fuzzPass)
	if err != nil {
		f.Fatal(err)
	}
	sr.SetWorkFactor(4)
	other, _ := age.GenerateX25519Identity()
	for _, ct := range [][]byte{
		seal(r),
		seal(other.Recipient(), r),
		seal(sr),
		seal(other.Recipient()),
	} {
		f.Add(ct)
		f.Add(ct[:len(ct)-1])
		f.Add(ct[:bytes.Index(ct, []byte("\n---"))+1])
	}
	f.Add([]byte(Magic))
	f.Add([]byte(Magic + "-> X25519 abc\n--- def\n"))
	f.Add([]byte(Magic + "-> scrypt c2FsdA 30\nAAAA\n--- AAAA\n"))
	f.Add([]byte("PK\x03\x04"))
	ids := []age.Identity{id, sid}
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := IsEncrypted(bytes.NewReader(data)), bytes.HasPrefix(data, []byte(Magic)); got != want {
			t.Fatalf("IsEncrypted = %v, want %v", got, want)
		}
		herr := CheckHeader(bytes.NewReader(data))
		if herr != nil {
			oneLine(t, herr)
		}
		ra, n, err := Open(bytes.NewReader(data), int64(len(data)), ids)
		if err != nil {
			oneLine(t, err)
			return
		}
		if herr != nil {
			t.Fatalf("Open accepts a file whose header CheckHeader rejects: %v", herr)
		}
		if n < 0 || n > int64(len(data)) {
			t.Fatalf("plaintext of %d bytes from %d", n, len(data))
		}
		got, err := io.ReadAll(io.NewSectionReader(ra, 0, n))
		if err != nil {
			oneLine(t, err)
			return
		}
		if string(got) != fuzzPlain {
			t.Fatalf("decrypted %q, not the sealed plaintext", got)
		}
	})
}
