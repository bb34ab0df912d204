package cli

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ouraexport/ouraexport/internal/sandbox"
	"github.com/ouraexport/ouraexport/schema"
)

const completionLong = `Prints the script that lets your shell complete ouraexport's commands,
flags and their values (formats, collections, files and folders) when you
press Tab. Load it once per session, or install it for good:

  bash        source <(ouraexport completion bash)   (needs the bash-completion package)
              ouraexport completion bash > ~/.local/share/bash-completion/completions/ouraexport
  zsh         ouraexport completion zsh > "${fpath[1]}/_ouraexport"   (with compinit)
  fish        ouraexport completion fish > ~/.config/fish/completions/ouraexport.fish
  powershell  ouraexport completion powershell | Out-String | Invoke-Expression
              (add that line to your $PROFILE to keep it)`

// completionCommand adapts cobra's completion command to the others: a
// missing or unknown shell is a usage error (exit 2), like a missing
// subcommand of auth.
func completionCommand(root *cobra.Command) {
	comp, _, err := root.Find([]string{"completion"})
	if err != nil || comp.Name() != "completion" {
		panic("no completion command")
	}
	comp.Use = "completion bash|zsh|fish|powershell"
	comp.Short = "print a shell completion script: bash, zsh, fish or powershell"
	comp.Long = completionLong
	comp.Args = cobra.ArbitraryArgs
	comp.RunE = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return usagef("completion", "name the shell: bash, zsh, fish or powershell")
		}
		return usagef("completion", "unknown shell %q: choose bash, zsh, fish or powershell", args[0])
	}
	for _, sh := range comp.Commands() {
		sh.Use = sh.Name() + " [--no-descriptions]"
		sh.Short = "print the completion script for " + sh.Name()
		sh.Args = noArgs
	}
}

// valueCompletions are the values shells offer for flags, by flag name.
// Lists complete item by item after commas.
func valueCompletions() map[string]cobra.CompletionFunc {
	return map[string]cobra.CompletionFunc{
		"format":      completeList(allFormats),
		"collections": completeList(exportCollections()),
		"api":         completeList([]string{"v1", "v2"}),
		"log-format":  completeOne("text", "json"),
		"partition":   completeOne("year"),
		"faults":      completeList(sandbox.AllFaults),
		"scopes":      completeList(sandbox.Scopes),
	}
}

// setUpCompletion gives every flag of the commands under root a value
// completion: its own (valueCompletions), else folders for a DIR, files for
// a FILE or PATH, and nothing for other values.
func setUpCompletion(root *cobra.Command) {
	values := valueCompletions()
	forEachCommand(root, func(c *cobra.Command) {
		register := func(f *pflag.Flag) {
			if f.NoOptDefVal != "" || f.Hidden { // a boolean, or refused
				return
			}
			if _, done := c.GetFlagCompletionFunc(f.Name); done {
				return
			}
			fn, ok := values[f.Name]
			if !ok {
				fn = completeArg(flagArg(f))
			}
			if err := c.RegisterFlagCompletionFunc(f.Name, fn); err != nil {
				panic(err)
			}
		}
		c.Flags().VisitAll(register)
		c.PersistentFlags().VisitAll(register)
	})
}

// completeArg completes a value by the name the help gives it.
func completeArg(arg string) cobra.CompletionFunc {
	switch strings.TrimSuffix(arg, "...") {
	case "DIR":
		return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return nil, cobra.ShellCompDirectiveFilterDirs
		}
	case "FILE", "PATH", "RECIPIENT":
		return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return nil, cobra.ShellCompDirectiveDefault
		}
	}
	return cobra.NoFileCompletions
}

// completeOne completes one of choices.
func completeOne(choices ...string) cobra.CompletionFunc {
	return cobra.FixedCompletions(choices, cobra.ShellCompDirectiveNoFileComp)
}

// completeList completes a comma-separated list of choices: the word being
// completed keeps the items before its last comma, and an item already in
// the list is not offered again.
func completeList(choices []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		head, last := "", toComplete
		if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
			head, last = toComplete[:i+1], toComplete[i+1:]
		}
		given := strings.Split(head, ",")
		var out []cobra.Completion
		for _, c := range choices {
			if strings.HasPrefix(c, last) && !slices.Contains(given, c) {
				out = append(out, head+c)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}

// completeTables completes the TABLE arguments of schema: table and
// collection names.
func completeTables(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var out []cobra.Completion
	seen := map[string]bool{}
	add := func(name string) {
		if !seen[name] && strings.HasPrefix(name, toComplete) {
			seen[name] = true
			out = append(out, name)
		}
	}
	for _, t := range schema.Tables() {
		add(t.Name)
	}
	for _, c := range exportCollections() {
		add(c)
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeOnePath completes the one PATH of verify.
func completeOnePath(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return nil, cobra.ShellCompDirectiveDefault
}
