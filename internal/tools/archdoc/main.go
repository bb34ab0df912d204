// Command archdoc writes the package map of docs/ARCHITECTURE.md from
// "go list": every package of the module, what it owns (the first sentence
// of its package comment), which of our packages it may import (the rules
// below) and which it does import. Run it with go generate ./... (or go run
// ./internal/tools/archdoc) after adding a package or an import; its test
// fails while the map is stale or an import breaks a rule.
package main

//go:generate go run . -w ../../../docs/ARCHITECTURE.md

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path"
	"slices"
	"strings"
)

// module is the module path; packages are named relative to it.
const module = "github.com/ouraexport/ouraexport"

// rules say which of our packages each package may import (by relative
// path; a trailing /... allows a package and those below it). A package
// without a rule breaks the test: say what a new package may depend on.
var rules = map[string][]string{
	".":                          {"internal/cli"},
	"exporter":                   {"schema", "sinks", "internal/oura", "internal/atomicfile", "internal/flock", "internal/jsonscan"},
	"internal/apispec":           nil,
	"internal/atomicfile":        nil,
	"internal/auth":              {"internal/oura", "internal/atomicfile"},
	"internal/catalog":           {"exporter", "schema", "v1compat/...", "internal/scope"},
	"internal/cli":               {"..."},
	"internal/cohort":            {"exporter", "sinks", "internal/auth", "internal/oura"},
	"internal/config":            {"internal/suggest"},
	"internal/crypt":             nil,
	"internal/flock":             nil,
	"internal/jsonscan":          nil,
	"internal/oura":              nil,
	"internal/report":            {"schema", "sinks", "internal/crypt"},
	"internal/sandbox":           nil,
	"internal/scope":             nil,
	"internal/suggest":           nil,
	"internal/tools/archdoc":     nil,
	"internal/tools/benchexport": {"exporter", "internal/catalog", "schema", "sinks/..."},
	"internal/tools/mangen":      {"internal/cli"},
	"internal/tools/specgen":     {"internal/apispec"},
	"internal/watch":             {"internal/atomicfile", "internal/flock"},
	"internal/webhook":           {"internal/atomicfile"},
	"schema":                     nil,
	"sinks":                      {"schema", "internal/atomicfile", "sinks/internal/..."},
	"sinks/csv":                  {"schema", "sinks", "sinks/internal/..."},
	"sinks/internal/state":       {"schema", "sinks"},
	"sinks/internal/text":        nil,
	"sinks/jsonarchive":          {"schema", "sinks", "sinks/internal/...", "internal/crypt"},
	"sinks/parquet":              {"schema", "sinks", "sinks/internal/..."},
	"sinks/s3":                   {"sinks"},
	"sinks/s3/s3test":            {"sinks/s3"},
	"sinks/sinktest":             {"schema", "sinks", "sinks/internal/..."},
	"v1compat":                   {"exporter", "schema"},
	"v1compat/importer":          {"exporter", "schema", "sinks", "v1compat", "internal/crypt", "internal/jsonscan"},
	"v1compat/internal/v1test":   {"exporter", "schema", "sinks/...", "v1compat", "internal/oura", "internal/sandbox"},
}

// pkg is what go list says of a package.
type pkg struct {
	ImportPath string
	Doc        string
	Imports    []string
}

// rel returns a package's path relative to the module ("." for the root).
func rel(p string) string {
	if p == module {
		return "."
	}
	return strings.TrimPrefix(p, module+"/")
}

// list runs go list on every package of the module in dir.
func list(dir string) ([]pkg, error) {
	cmd := exec.Command("go", "list", "-json=ImportPath,Doc,Imports", module+"/...")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %v: %s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			return nil, err
		}
		pkgs = append(pkgs, p)
	}
	slices.SortFunc(pkgs, func(a, b pkg) int { return strings.Compare(rel(a.ImportPath), rel(b.ImportPath)) })
	return pkgs, nil
}

// ours returns the packages of the module p imports, relative.
func ours(p pkg) []string {
	var out []string
	for _, imp := range p.Imports {
		if imp == module || strings.HasPrefix(imp, module+"/") {
			out = append(out, rel(imp))
		}
	}
	return out
}

// allowed reports whether the package from may import to.
func allowed(from, to string) bool {
	for _, r := range rules[from] {
		switch {
		case r == "...", r == to:
			return true
		case strings.HasSuffix(r, "/...") && (to == strings.TrimSuffix(r, "/...") || strings.HasPrefix(to, strings.TrimSuffix(r, "..."))):
			return true
		}
	}
	return false
}

// check returns every broken rule: a package without a rule, an import a
// rule does not allow.
func check(pkgs []pkg) []error {
	var errs []error
	for _, p := range pkgs {
		name := rel(p.ImportPath)
		if _, ok := rules[name]; !ok {
			errs = append(errs, fmt.Errorf("%s has no import rule: add it to internal/tools/archdoc's rules", name))
			continue
		}
		for _, imp := range ours(p) {
			if !allowed(name, imp) {
				errs = append(errs, fmt.Errorf("%s imports %s, which its rule does not allow", name, imp))
			}
		}
	}
	return errs
}

// synopsis is the first sentence of a package comment.
func synopsis(doc string) string {
	doc = strings.Join(strings.Fields(doc), " ")
	if i := strings.Index(doc, ". "); i >= 0 {
		doc = doc[:i+1]
	}
	return strings.ReplaceAll(doc, "|", `\|`)
}

func code(items []string) string {
	if len(items) == 0 {
		return "none of ours"
	}
	var out []string
	for _, s := range items {
		out = append(out, "`"+s+"`")
	}
	return strings.Join(out, ", ")
}

// table renders the package map.
func table(pkgs []pkg) string {
	var b strings.Builder
	b.WriteString("| Package | What it owns | May import | Imports |\n|---|---|---|---|\n")
	for _, p := range pkgs {
		name := rel(p.ImportPath)
		may := rules[name]
		mayText := code(may)
		if slices.Equal(may, []string{"..."}) {
			mayText = "any of ours"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", name, synopsis(p.Doc), mayText, code(ours(p)))
	}
	return b.String()
}

// The generated section of the document lies between these lines.
const (
	begin = "<!-- package map: generated by internal/tools/archdoc, do not edit -->\n"
	end   = "<!-- end of package map -->\n"
)

// render returns doc with its package map replaced by the map of pkgs.
func render(doc []byte, pkgs []pkg) ([]byte, error) {
	i := bytes.Index(doc, []byte(begin))
	j := bytes.Index(doc, []byte(end))
	if i < 0 || j < i {
		return nil, errors.New("the document has no package map section")
	}
	var out bytes.Buffer
	out.Write(doc[:i+len(begin)])
	out.WriteString(table(pkgs))
	out.Write(doc[j:])
	return out.Bytes(), nil
}

func main() {
	write := flag.String("w", "", "rewrite the package map of this file")
	flag.Parse()
	if *write == "" {
		fmt.Fprintln(os.Stderr, "usage: archdoc -w docs/ARCHITECTURE.md")
		os.Exit(2)
	}
	pkgs, err := list(path.Dir(*write))
	if err == nil {
		for _, e := range check(pkgs) {
			fmt.Fprintln(os.Stderr, "archdoc:", e)
			err = errors.New("import rules broken")
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "archdoc:", err)
		os.Exit(1)
	}
	doc, err := os.ReadFile(*write)
	if err == nil {
		doc, err = render(doc, pkgs)
	}
	if err == nil {
		err = os.WriteFile(*write, doc, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "archdoc:", err)
		os.Exit(1)
	}
}
