package cli

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Version is the release version, set at build time with
// -ldflags "-X github.com/ouraexport/ouraexport/internal/cli.Version=v1.2.3".
var Version = "dev"

// version returns the version string recorded in outputs and manifests.
func version() string {
	if Version != "dev" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return Version
}

// versionLine is what 'ouraexport version' and --version print.
func versionLine() string {
	return fmt.Sprintf("ouraexport %s (%s, %s/%s)\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// versionCommand is 'ouraexport version'.
func versionCommand(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:               "version",
		Short:             "print the version",
		Long:              "Prints the version of ouraexport, the Go release it was built with, and the platform.",
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(*cobra.Command, []string) error {
			_, err := io.WriteString(s.Out, versionLine())
			return err
		},
	}
}
