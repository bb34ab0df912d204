// Command mangen writes the man pages of ouraexport, one per command, from
// the same definitions as the commands' --help. go generate (see main.go at
// the root) runs it into docs/man; CI checks that the pages there are
// current:
//
//	go run ./internal/tools/mangen docs/man
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
	"github.com/spf13/pflag"

	"github.com/ouraexport/ouraexport/internal/cli"
)

// manDate is the date the pages carry. It is fixed, so that the pages come
// out the same on every run; move it when the pages change much.
var manDate = time.Date(2026, time.December, 1, 0, 0, 0, 0, time.UTC)

func main() {
	if len(os.Args) != 2 || strings.HasPrefix(os.Args[1], "-") {
		fmt.Fprintln(os.Stderr, "usage: mangen DIR")
		os.Exit(2)
	}
	if err := generate(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "mangen:", err)
		os.Exit(1)
	}
}

// generate writes a page per command into dir, ouraexport.1 for the
// program and ouraexport-<command>.1 for each command, and removes the
// pages of commands that are gone.
func generate(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(dir, "ouraexport*.1"))
	if err != nil {
		return err
	}
	for _, p := range old {
		if err := os.Remove(p); err != nil {
			return err
		}
	}
	root := cli.NewCommand(cli.Streams{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard})
	prepare(root, map[*pflag.Flag]bool{})
	header := &doc.GenManHeader{Section: "1", Date: &manDate, Source: "ouraexport", Manual: "ouraexport manual"}
	return doc.GenManTree(root, header, dir)
}

// prepare makes c and the commands below it read well as man pages, which
// cobra writes as Markdown: the notes after the flags in the help become
// part of the description, and what Markdown would take for markup (the
// <id> in participant=<id>, the * in App Data/*.csv) is escaped. Lines
// indented like the help's tables stay as they are set. done holds the
// flags already prepared: a command shares its persistent flags with the
// commands below it.
func prepare(c *cobra.Command, done map[*pflag.Flag]bool) {
	c.DisableAutoGenTag = true // no "Auto generated" line with today's date
	name, rest, _ := strings.Cut(c.Use, " ")
	c.Use = strings.TrimSpace(name + " " + escape(rest))
	if !c.HasParent() || c.Parent().Name() != "completion" {
		// (The help of completion's shells is cobra's, Markdown already.)
		long := c.Long
		if notes := c.Annotations[cli.NotesAnnotation]; notes != "" {
			long += "\n\n" + notes
		}
		c.Long = markdown(long)
	}
	c.Short = escape(c.Short)
	for _, fs := range []*pflag.FlagSet{c.LocalFlags(), c.InheritedFlags()} {
		fs.VisitAll(func(f *pflag.Flag) {
			if !done[f] {
				done[f] = true
				f.Usage = escape(strings.ReplaceAll(f.Usage, "\n", " "))
			}
		})
	}
	for _, sub := range c.Commands() {
		prepare(sub, done)
	}
}

// markdown turns help text into Markdown: paragraphs stay paragraphs (man
// fills them), list items stay list items, and other indented lines (the
// shells in completion's help) become a block set as written.
func markdown(text string) string {
	var b strings.Builder
	lines := strings.Split(text, "\n")
	inList := false
	for i, l := range lines {
		trimmed := strings.TrimLeft(l, " ")
		switch {
		case strings.HasPrefix(trimmed, "- "):
			inList = true
			b.WriteString("- " + escape(trimmed[2:]))
		case l == "":
			inList = false
		case inList && l != trimmed:
			b.WriteString("  " + escape(trimmed))
		case l != trimmed:
			if i > 0 && lines[i-1] != "" && !strings.HasPrefix(lines[i-1], " ") {
				b.WriteString("\n")
			}
			b.WriteString("    " + l) // a code block: not escaped
		default:
			b.WriteString(escape(l))
		}
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// escape keeps Markdown from reading s as markup.
var escape = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "<", `\<`, ">", `\>`, "[", `\[`, "]", `\]`, "#", `\#`,
).Replace
