package scope

import (
	"fmt"
	"strings"
)

// sourceText says in words how sure a row is.
var sourceText = map[string]string{
	FromSpec:       "Oura's OpenAPI document names the scope",
	FromThirdParty: "other clients use it so",
	Guess:          "a guess",
}

// Markdown returns the scope table as the README shows it: one row per
// scope, what it grants, the collections it unlocks, and the evidence.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| Scope | What it grants | Collections | Evidence |\n|---|---|---|---|\n")
	for _, s := range table {
		name := "`" + s.Name + "`"
		for _, a := range s.Aliases {
			name += " (or `" + a + "`)"
		}
		colls := "(none: personal_info answers any token)"
		if len(s.Collections) > 0 {
			colls = "`" + strings.Join(s.Collections, "`, `") + "`"
		}
		ev := sourceText[s.Source]
		if s.Optional {
			ev += "; optional: most logins lack it"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", name, s.Grants, colls, ev)
	}
	return b.String()
}
