package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/ouraexport/ouraexport/internal/cli"
)

// pages are the man pages the commands should have: one per command a
// user can run (not the help command or cobra's hidden ones).
func pages(t *testing.T) []string {
	t.Helper()
	var names []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		names = append(names, strings.ReplaceAll(c.CommandPath(), " ", "-")+".1")
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				walk(sub)
			}
		}
	}
	walk(cli.NewCommand(cli.Streams{Out: io.Discard, Err: io.Discard}))
	slices.Sort(names)
	return names
}

func TestGeneratePagePerCommand(t *testing.T) {
	dir := t.TempDir()
	// A page of a command that is gone is removed.
	if err := os.WriteFile(filepath.Join(dir, "ouraexport-gone.1"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := generate(dir); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	want := pages(t)
	for _, must := range []string{"ouraexport.1", "ouraexport-export.1", "ouraexport-import.1", "ouraexport-auth-login.1", "ouraexport-completion-bash.1"} {
		if !slices.Contains(want, must) {
			t.Fatalf("the commands lack %s: %q", must, want)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages %q, want %q", got, want)
	}
	export, err := os.ReadFile(filepath.Join(dir, "ouraexport-export.1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`.TH "OURAEXPORT-EXPORT" "1" "Dec 2026" "ouraexport" "ouraexport manual"`, // a fixed date
		`\fB--api-url\fP`, "Exit status: 0 done", `participant=<id>/`, "Object stores:",
	} {
		if !strings.Contains(string(export), want) {
			t.Errorf("ouraexport-export.1 lacks %q", want)
		}
	}
	if strings.Contains(string(export), "Auto generated") {
		t.Error("the page carries cobra's dated tag")
	}
}

// TestPagesCurrent: docs/man holds what the generator writes now (CI
// checks the same with go generate; run it after changing a command's help).
func TestPagesCurrent(t *testing.T) {
	dir := t.TempDir()
	if err := generate(dir); err != nil {
		t.Fatal(err)
	}
	committed := filepath.Join("..", "..", "..", "docs", "man")
	for _, name := range pages(t) {
		want, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(committed, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("docs/man/%s is not current (%v): run go generate", name, err)
		}
	}
	ents, _ := os.ReadDir(committed)
	if len(ents) != len(pages(t)) {
		t.Errorf("docs/man holds %d files, want %d: run go generate", len(ents), len(pages(t)))
	}
}
