package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// parseAs runs c, a command whose RunE only parses, as the command of a
// program like ouraexport: the arguments after the command's name, its
// flags, their errors.
func parseAs(c *cobra.Command, args []string) error {
	root := &cobra.Command{Use: "ouraexport", SilenceErrors: true, SilenceUsage: true}
	root.SetFlagErrorFunc(flagErrors(args))
	root.AddCommand(c)
	root.SetArgs(append([]string{c.Name()}, args...))
	return root.Execute()
}

// parseExportFlags parses an export command line (the arguments after
// "export") with export's flags and returns the options export would run
// with.
func parseExportFlags(args []string) (exportOptions, error) {
	var (
		f exportFlags
		o exportOptions
	)
	c := &cobra.Command{Use: "export", Args: noArgs, RunE: func(c *cobra.Command, _ []string) (err error) {
		o, err = f.options(c.Flags())
		return err
	}}
	f.register(c.Flags())
	err := parseAs(c, args)
	return o, err
}

// parseImportFlags parses an import command line (the arguments after
// "import") with import's flags and returns the options import would run
// with.
func parseImportFlags(args []string) (importOptions, error) {
	var (
		f importFlags
		o importOptions
	)
	c := &cobra.Command{Use: "import", RunE: func(_ *cobra.Command, args []string) (err error) {
		o, err = f.options(args)
		return err
	}}
	f.register(c.Flags())
	err := parseAs(c, args)
	return o, err
}

// parseSandboxFlags parses a sandbox command line (the arguments after
// "sandbox") as the sandbox command does.
func parseSandboxFlags(args []string) (sandboxFlags, error) {
	var (
		f sandboxFlags
		a sandboxArgs
	)
	c := &cobra.Command{Use: "sandbox", Args: noArgs, RunE: func(*cobra.Command, []string) error {
		return f.check(a)
	}}
	f.register(c.Flags(), &a)
	err := parseAs(c, args)
	return f, err
}

// runSandbox runs 'ouraexport sandbox' with args.
func runSandbox(ctx context.Context, args []string, s Streams) error {
	return Main(ctx, append([]string{"sandbox"}, args...), s)
}
