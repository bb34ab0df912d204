package cli

import (
	"context"
	"errors"
)

const verifyUsage = `Usage: ouraexport verify PATH`

func runVerify(ctx context.Context, args []string, s Streams) error {
	return errors.New("verify: not built yet")
}
