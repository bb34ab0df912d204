package main

import (
	"os"
	"strings"
	"testing"
)

const docPath = "../../../docs/ARCHITECTURE.md"

// TestImportRules: every package has a rule saying which of our packages
// it may import, and imports no other.
func TestImportRules(t *testing.T) {
	pkgs, err := list("../../..")
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list found %d packages; want the whole module", len(pkgs))
	}
	for _, e := range check(pkgs) {
		t.Error(e)
	}
	for name := range rules {
		found := false
		for _, p := range pkgs {
			found = found || rel(p.ImportPath) == name
		}
		if !found {
			t.Errorf("rule for %s, which does not exist: remove it", name)
		}
	}
}

// TestArchitectureCurrent: docs/ARCHITECTURE.md's package map is what go
// list says (run go generate ./internal/tools/archdoc after a change).
func TestArchitectureCurrent(t *testing.T) {
	pkgs, err := list("../../..")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	want, err := render(doc, pkgs)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(doc) {
		t.Errorf("%s is stale: run go generate ./internal/tools/archdoc", docPath)
	}
}

// TestAllowed checks the rule patterns.
func TestAllowed(t *testing.T) {
	for _, tc := range []struct {
		from, to string
		want     bool
	}{
		{"exporter", "schema", true},
		{"exporter", "sinks/csv", false},
		{"sinks", "sinks/internal/text", true},
		{"sinks", "sinks/internalx", false},
		{"internal/catalog", "v1compat", true},
		{"internal/catalog", "v1compat/importer", true},
		{"internal/cli", "anything/at/all", true},
		{"schema", "exporter", false},
		{"internal/sandbox", "exporter", false},
	} {
		if got := allowed(tc.from, tc.to); got != tc.want {
			t.Errorf("allowed(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.want)
		}
	}
	if !strings.Contains(table(nil), "| Package |") {
		t.Error("no table header")
	}
}
