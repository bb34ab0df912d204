package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
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

func runVersion(ctx context.Context, args []string, s Streams) error {
	fs := newFlagSet("version")
	pos, err := parseFlags("version", fs, args)
	if err != nil {
		return err
	}
	if err := noArgs("version", pos); err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "ouraexport %s (%s, %s/%s)\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
