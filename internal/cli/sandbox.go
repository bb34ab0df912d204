package cli

import (
	"context"
	"errors"
)

const sandboxUsage = `Usage: ouraexport sandbox [flags]`

func runSandbox(ctx context.Context, args []string, s Streams) error {
	return errors.New("sandbox: not built yet")
}
