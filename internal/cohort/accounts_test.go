package cohort_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ouraexport/ouraexport/internal/cohort"
)

func TestParseAccounts(t *testing.T) {
	dir := filepath.FromSlash("/study/secrets")
	cases := []struct {
		name string
		in   string
		want []cohort.Account // nil: an error
		msg  string           // part of the error
	}{
		{name: "plain", in: "p01 p01.token\np02\t/abs/p02.token\n", want: []cohort.Account{
			{ID: "p01", TokenFile: filepath.Join(dir, "p01.token"), Line: 1},
			{ID: "p02", TokenFile: filepath.FromSlash("/abs/p02.token"), Line: 2}}},
		{name: "comments, blanks, byte order mark, CRLF", in: "\uFEFF# study A\r\n\r\n  # indented comment\r\nA_b-9   tokens/my token.txt  \r\n", want: []cohort.Account{
			{ID: "A_b-9", TokenFile: filepath.Join(dir, "tokens", "my token.txt"), Line: 4}}},
		{name: "cleaned paths", in: "p1 ./a/../b.token\n", want: []cohort.Account{{ID: "p1", TokenFile: filepath.Join(dir, "b.token"), Line: 1}}},
		{name: "no token file", in: "p01\n", msg: "line 1: participant p01 has no token file"},
		{name: "bad id", in: "p01 a\np/02 b\n", msg: "line 2: participant id \"p/02\""},
		{name: "dotted id", in: "p.1 a\n", msg: "participant id \"p.1\""},
		{name: "long id", in: strings.Repeat("x", 65) + " a\n", msg: "participant id"},
		{name: "repeated id", in: "p01 a\np02 b\np01 c\n", msg: "line 3: participant id p01 repeats line 1"},
		{name: "ids differing in case", in: "P01 a\np01 b\n", msg: "repeats line 1"},
		{name: "shared token file", in: "p01 a.token\np02 ./a.token\n", msg: "line 2: participant p02 has the token file of line 1"},
		{name: "empty", in: "# nobody\n\n", msg: "lists no participants"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cohort.ParseAccounts(strings.NewReader(tc.in), dir)
			if tc.want == nil {
				if err == nil || !errors.Is(err, cohort.ErrAccounts) || !strings.Contains(err.Error(), tc.msg) {
					t.Errorf("got %v, %v; want an ErrAccounts containing %q", got, err, tc.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("account %d: got %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestReadAccountsRelative(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "accounts.txt")
	os.WriteFile(p, []byte("p01 tokens/p01\n"), 0o600)
	got, err := cohort.ReadAccounts(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "tokens", "p01"); got[0].TokenFile != want || got[0].Folder() != "participant=p01" {
		t.Errorf("got %+v, want token file %s in folder participant=p01", got[0], want)
	}
	if _, err := cohort.ReadAccounts(filepath.Join(dir, "none.txt")); !errors.Is(err, cohort.ErrAccounts) {
		t.Errorf("missing accounts file: %v, want ErrAccounts", err)
	}
}

func TestReadToken(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, content, want string
	}{
		{"plain", "abc123", "abc123"},
		{"trailing newline", "abc123\n", "abc123"},
		{"surrounding space", "  abc123 \r\n", "abc123"},
		{"empty", "\n", ""},
		{"two lines", "secret-one\nsecret-two\n", ""},
		{"inner space", "secret one", ""},
		{"too long", strings.Repeat("s", 65<<10), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			os.WriteFile(p, []byte(tc.content), 0o600)
			got, err := cohort.ReadToken(p)
			if tc.want == "" {
				if !errors.Is(err, cohort.ErrToken) {
					t.Errorf("got %q, %v; want ErrToken", got, err)
				}
				if err != nil && strings.Contains(err.Error(), "secret") {
					t.Errorf("the error shows the file's content: %v", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if _, err := cohort.ReadToken(filepath.Join(dir, "missing")); !errors.Is(err, cohort.ErrToken) {
		t.Errorf("missing file: %v, want ErrToken", err)
	}
}
