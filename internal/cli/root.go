package cli

import (
	"io"
	"strings"

	"github.com/spf13/cobra"
)

const rootLong = `Takes your complete Oura Ring history out of the Oura Cloud API (v2, and v1
where a server still answers it), maps every collection onto one documented
schema, and writes Parquet, CSV and a GDPR-style JSON archive, all checked by
SHA-256 and row counts. It also imports the files people already saved.

Try it without an account: ouraexport export --sandbox`

const rootNotes = `Exit status: 0 done; 1 failed; 2 bad usage or input; 3 partial (named in the
summary); 4 login needed; 130 interrupted (run the same command again to
resume).`

// NewCommand returns the ouraexport command line: the program and every
// command, reading and writing s. Main runs it; the man page generator
// (internal/tools/mangen) documents it.
func NewCommand(s Streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "ouraexport <command> [flags]",
		Short: "your complete Oura Ring history, out and verified",
		Long:  rootLong,
		Args:  cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if v, _ := c.Flags().GetBool("version"); v {
				if len(args) > 0 {
					return usagef("", "--version takes no argument")
				}
				_, err := io.WriteString(s.Out, versionLine())
				return err
			}
			if len(args) == 0 {
				writeHelp(s.Err, c)
				return usagef("", "no command given")
			}
			return unknownCommand(c, args[0])
		},
		ValidArgsFunction: cobra.NoFileCompletions,
		Annotations:       map[string]string{NotesAnnotation: rootNotes},
		// main prints the one line of an error, and nothing else.
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	// --version is ours, not cobra's (root.Version), whose version template
	// would link text/template: its reflection keeps the linker from
	// dropping unused methods, which makes the binary 9 MB larger.
	root.Flags().BoolP("version", "v", false, "print the version")
	root.SetFlagErrorFunc(flagErrors(nil))
	root.SuggestionsMinimumDistance = 2
	root.SetHelpFunc(func(c *cobra.Command, _ []string) { writeHelp(c.OutOrStdout(), c) })
	root.SetHelpCommand(helpCommand())
	root.AddCommand(
		authCommand(s),
		exportCommand(s),
		importCommand(s),
		reportCommand(s),
		sandboxCommand(s),
		schemaCommand(s),
		specCommand(s),
		verifyCommand(s),
		versionCommand(s),
		webhookCommand(s),
	)
	// The completion command is cobra's, created now (not when the command
	// line runs) so that its help and man page are there.
	root.InitDefaultCompletionCmd()
	completionCommand(root)
	forEachCommand(root, func(c *cobra.Command) {
		c.DisableFlagsInUseLine = true // every Use says where the flags go
		c.Flags().SortFlags = false
		c.PersistentFlags().SortFlags = false
		c.InheritedFlags().SortFlags = false // listed as defined, not sorted
		c.InitDefaultHelpFlag()
		if f := c.Flags().Lookup("help"); f != nil {
			f.Usage = "show this help"
		}
	})
	setUpCompletion(root)
	return root
}

// forEachCommand calls fn for c and every command below it.
func forEachCommand(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		forEachCommand(sub, fn)
	}
}

// helpCommand is 'ouraexport help [command]': the same help as the
// command's --help, on standard output.
func helpCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "show the help of a command",
		Long:  "Shows the help of a command: what it does, its flags and its exit status.",
		Args:  cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := c.Root().Find(args)
			switch {
			case err != nil:
				return unknownCommand(c.Root(), args[0])
			case len(rest) > 0 && target == c.Root():
				return unknownCommand(target, rest[0])
			case len(rest) > 0:
				return usagef("", "unknown command %q", cmdName(target)+" "+rest[0])
			}
			return target.Help()
		},
		ValidArgsFunction: completeCommands,
	}
}

// completeCommands completes the command names after 'ouraexport help'.
func completeCommands(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	cmd, rest, err := c.Root().Find(args)
	if err != nil || len(rest) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, sub := range cmd.Commands() {
		if sub.IsAvailableCommand() && strings.HasPrefix(sub.Name(), toComplete) {
			out = append(out, cobra.CompletionWithDesc(sub.Name(), sub.Short))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
