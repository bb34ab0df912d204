package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

func TestExportEncrypted(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	stranger, _ := age.GenerateX25519Identity()
	dir := t.TempDir()
	idFile := filepath.Join(dir, "key.txt")
	strangerFile := filepath.Join(dir, "stranger.txt")
	recipients := filepath.Join(dir, "recipients.txt")
	os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600)
	os.WriteFile(strangerFile, []byte(stranger.String()+"\n"), 0o600)
	os.WriteFile(recipients, []byte("# backup key\n"+stranger.Recipient().String()+"\n"), 0o600)
	out := filepath.Join(dir, "out")
	r := ouraexport(t, nil, "export", "--sandbox", "--out", out, "--quiet", "--since", "2024-03-01", "--until", "2024-03-05",
		"--encrypt-to", id.Recipient().String(), "--encrypt-to", recipients)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	archive := filepath.Join(out, "archive", "oura-export.zip.age")
	if _, err := os.Stat(archive); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "archive", "oura-export.zip")); err == nil {
		t.Error("a plain zip was written next to the encrypted one")
	}
	noPartialFiles(t, out)
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"folder, outer hashes only", []string{out}, 0},
		{"folder, decrypted", []string{"--identity", idFile, out}, 0},
		{"folder, second recipient", []string{"--identity", strangerFile, out}, 0},
		{"archive alone, decrypted", []string{"--identity", idFile, archive}, 0},
		{"archive alone, outer header only", []string{archive}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ouraexport(t, nil, append([]string{"verify"}, tc.args...)...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d: %s%s", r.code, tc.code, r.stdout, r.stderr)
			}
		})
	}
	// import opens it with the key, giving the same tables; without the key
	// it says how to give one and writes nothing.
	locked := filepath.Join(dir, "locked")
	if r := ouraexport(t, nil, "import", "--out", locked, "--quiet", archive); r.code != 2 || !strings.Contains(r.stderr, "--identity") {
		t.Errorf("import without the key: exit %d, want 2 naming --identity: %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(locked, "MANIFEST.json")); err == nil {
		t.Error("import without the key wrote a manifest")
	}
	back := filepath.Join(dir, "back")
	if r := ouraexport(t, nil, "import", "--out", back, "--quiet", "--format", "csv", "--identity", strangerFile, archive); r.code != 0 {
		t.Fatalf("import with the key: exit %d: %s", r.code, r.stderr)
	}
	sameData(t, dataHashes(t, back), dataHashes(t, out))
	// A wrong identity is reported, and a damaged archive too.
	other, _ := age.GenerateX25519Identity()
	otherFile := filepath.Join(dir, "other.txt")
	os.WriteFile(otherFile, []byte(other.String()+"\n"), 0o600)
	if r := ouraexport(t, nil, "verify", "--identity", otherFile, archive); r.code != 1 {
		t.Errorf("wrong identity: exit %d, want 1: %s%s", r.code, r.stdout, r.stderr)
	}
	b, _ := os.ReadFile(archive)
	os.WriteFile(archive, b[:len(b)-10], 0o600)
	if r := ouraexport(t, nil, "verify", out); r.code != 1 {
		t.Errorf("truncated: exit %d, want 1: %s%s", r.code, r.stdout, r.stderr)
	}
}
