package cohort_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ouraexport/ouraexport/internal/cohort"
)

// FuzzParseAccounts checks that any accounts file either parses into
// participants that can name folders (valid, unique ids; one token file
// each, absolute and clean) or fails with ErrAccounts.
func FuzzParseAccounts(f *testing.F) {
	for _, seed := range []string{
		"p01 p01.token\np02\t/abs/p02.token\n",
		"\uFEFF# study A\r\n\r\n  # comment\r\nA_b-9   tokens/my token.txt  \r\n",
		"p01\n",
		"p/02 b\n",
		"P01 a\np01 b\n",
		"p01 a.token\np02 ./a.token\n",
		"p01 ../../etc/passwd\n",
		"participant=p1 x\n",
		"# nobody\n\n",
		strings.Repeat("x", 65) + " a\n",
		"p1 a\x00b\n",
		"\n\n\np1\t\t \tz\n",
	} {
		f.Add([]byte(seed))
	}
	dir := filepath.Join(string(filepath.Separator)+"study", "secrets")
	f.Fuzz(func(t *testing.T, in []byte) {
		accts, err := cohort.ParseAccounts(bytes.NewReader(in), dir)
		if err != nil {
			if !errors.Is(err, cohort.ErrAccounts) {
				t.Fatalf("error %v does not wrap ErrAccounts", err)
			}
			if accts != nil {
				t.Fatalf("accounts %v with an error", accts)
			}
			return
		}
		if len(accts) == 0 {
			t.Fatal("no accounts and no error")
		}
		ids, files := map[string]bool{}, map[string]bool{}
		for _, a := range accts {
			if !cohort.ValidID(a.ID) || strings.ContainsAny(a.ID, "/\\.=") {
				t.Fatalf("id %q cannot name a folder", a.ID)
			}
			if ids[strings.ToLower(a.ID)] {
				t.Fatalf("id %q repeats", a.ID)
			}
			ids[strings.ToLower(a.ID)] = true
			if filepath.IsAbs(dir) && !filepath.IsAbs(a.TokenFile) || filepath.Clean(a.TokenFile) != a.TokenFile {
				t.Fatalf("token file %q is not absolute and clean", a.TokenFile)
			}
			if files[a.TokenFile] {
				t.Fatalf("token file %q is shared", a.TokenFile)
			}
			files[a.TokenFile] = true
			if a.Folder() != cohort.FolderPrefix+a.ID || a.Line < 1 {
				t.Fatalf("account %+v", a)
			}
		}
	})
}

// FuzzParseShard checks that a parsed shard is one of its count, and that
// the participants it owns are exactly those Of assigns to it.
func FuzzParseShard(f *testing.F) {
	for _, seed := range []string{"", "0/1", "2/3", "3/3", "auto/4", "-1/2", "1/0", "0/10000", "0/10001", "a/b", "1", "/", "01/2", "+1/2", " 1/2"} {
		f.Add(seed, "2", "p01")
	}
	f.Fuzz(func(t *testing.T, s, env, id string) {
		sh, err := cohort.ParseShard(s, func(k string) string {
			if k == cohort.IndexEnv {
				return env
			}
			return ""
		})
		if err != nil {
			if !errors.Is(err, cohort.ErrShard) {
				t.Fatalf("ParseShard(%q): error %v does not wrap ErrShard", s, err)
			}
			return
		}
		if sh.Count < 1 || sh.Count > cohort.MaxShards || sh.Index < 0 || sh.Index >= sh.Count {
			t.Fatalf("ParseShard(%q) = %+v", s, sh)
		}
		if again, err := cohort.ParseShard(sh.String(), nil); err != nil || again != sh {
			t.Fatalf("ParseShard(%q) = %v, %v; want %+v back", sh.String(), again, err, sh)
		}
		if sh.Count <= 100 { // keep Of cheap
			if of := cohort.Of(id, sh.Count); of < 0 || of >= sh.Count || sh.Owns(id) != (of == sh.Index) {
				t.Fatalf("Of(%q, %d) = %d; shard %s owns it: %v", id, sh.Count, of, sh, sh.Owns(id))
			}
		}
	})
}
