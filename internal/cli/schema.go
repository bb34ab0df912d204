package cli

import (
	"context"
	"errors"
)

const schemaUsage = `Usage: ouraexport schema [--json]`

func runSchema(ctx context.Context, args []string, s Streams) error {
	return errors.New("schema: not built yet")
}
