package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// NotesAnnotation is the command annotation holding the text its help
// shows after the flags: further sections and the exit status.
const NotesAnnotation = "ouraexport_notes"

// flagColumn is where a flag's description starts in the help.
const flagColumn = 24

// writeHelp writes c's help: the usage line, the description, the
// subcommands, the flags and the notes. 'ouraexport help CMD' and
// 'ouraexport CMD --help' both print it.
func writeHelp(w io.Writer, c *cobra.Command) {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s\n", c.UseLine())
	if c.Long != "" {
		fmt.Fprintf(&b, "\n%s\n", strings.TrimSpace(c.Long))
	}
	if c.HasAvailableSubCommands() {
		b.WriteString("\nCommands:\n")
		width := 0
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				width = max(width, len(sub.Name()))
			}
		}
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				fmt.Fprintf(&b, "  %-*s  %s\n", width, sub.Name(), sub.Short)
			}
		}
	}
	if flags := flagList(c.LocalFlags()); flags != "" {
		fmt.Fprintf(&b, "\nFlags:\n%s", flags)
	}
	if flags := flagList(c.InheritedFlags()); flags != "" {
		fmt.Fprintf(&b, "\nFlags of every %s command:\n%s", cmdName(c.Parent()), flags)
	}
	if notes := c.Annotations[NotesAnnotation]; notes != "" {
		fmt.Fprintf(&b, "\n%s\n", strings.TrimSpace(notes))
	}
	if c.HasAvailableSubCommands() {
		fmt.Fprintf(&b, "\nRun 'ouraexport help %s' for its flags.\n", strings.TrimSpace(cmdName(c)+" <command>"))
	}
	io.WriteString(w, b.String())
}

// flagList lists the flags of fs, one per line with its value's name, the
// description (which may span lines) starting at flagColumn. The help
// flag, which every command has, is left out.
func flagList(fs *pflag.FlagSet) string {
	var b strings.Builder
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden || f.Name == "help" {
			return
		}
		name := "  --" + f.Name
		if f.Shorthand != "" {
			name = "  -" + f.Shorthand + ", --" + f.Name
		}
		if arg := flagArg(f); arg != "" {
			name += " " + arg
		}
		lines := strings.Split(f.Usage, "\n")
		if len(name) < flagColumn {
			fmt.Fprintf(&b, "%-*s%s\n", flagColumn, name, lines[0])
		} else {
			fmt.Fprintf(&b, "%s\n%*s%s\n", name, flagColumn, "", lines[0])
		}
		for _, l := range lines[1:] {
			fmt.Fprintf(&b, "%*s%s\n", flagColumn, "", l)
		}
	})
	return b.String()
}
