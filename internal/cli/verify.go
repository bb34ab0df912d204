package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/spf13/cobra"

	"github.com/ouraexport/ouraexport/internal/crypt"
	"github.com/ouraexport/ouraexport/sinks"

	// The formats register the readers verify re-reads their files with.
	_ "github.com/ouraexport/ouraexport/sinks/csv"
	_ "github.com/ouraexport/ouraexport/sinks/jsonarchive"
	_ "github.com/ouraexport/ouraexport/sinks/parquet"
)

const verifyLong = `Re-hashes and re-reads every file of an export and reconciles it with the
manifest. PATH is an export folder (the --out of export, holding
MANIFEST.json), a single archive (.zip, checked against the manifest.json
inside it), a cohort folder (the --out of export --accounts: every
participant listed in _cohort/ is checked), or any of these folders in an
object store as s3://bucket/prefix (credentials and endpoint as for export).

Every Parquet file is decoded page by page, every CSV file parsed, every
archive entry inflated and every NDJSON line parsed; sizes, SHA-256 digests
and row counts must match the manifest, and no file may be missing or extra.
Each problem is printed on a line of its own, naming the file.

An encrypted archive (.zip.age) is always checked against its size and
SHA-256 in MANIFEST.json; given its key it is also decrypted (as it is read,
never to disk) and every entry inside is checked.`

const verifyNotes = `Exit status: 0 if everything checks out, 1 if there is any problem, 2 if
PATH is not an export.`

// verifyCommand is 'ouraexport verify'.
func verifyCommand(s Streams) *cobra.Command {
	var (
		endpoint string
		keys     identityFlags
	)
	c := &cobra.Command{
		Use:               "verify [--s3-endpoint URL] [--identity FILE | --passphrase-file FILE] PATH",
		Short:             "re-hash and re-read an export or archive and reconcile it with its manifest",
		Long:              verifyLong,
		Annotations:       map[string]string{NotesAnnotation: verifyNotes},
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: completeOnePath,
		RunE: func(c *cobra.Command, args []string) error {
			return runVerify(c.Context(), endpoint, keys, args, s)
		},
	}
	c.Flags().StringVar(&endpoint, "s3-endpoint", "", "S3-compatible endpoint for s3:// paths")
	keys.register(c.Flags())
	flagArgs(c.Flags(), "s3-endpoint=URL")
	return c
}

func runVerify(ctx context.Context, endpoint string, keys identityFlags, pos []string, s Streams) error {
	ids, err := keys.identities()
	if err != nil {
		return err
	}
	if ids != nil {
		ctx = crypt.WithIdentities(ctx, ids)
	}
	if len(pos) != 1 {
		return usagef("verify", "verify takes one PATH, an export folder or an archive")
	}
	path := pos[0]
	rep, crep, err := verifyTarget(ctx, path, endpoint)
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return fmt.Errorf("verify %s: %w", path, ctx.Err())
	case errors.Is(err, sinks.ErrNotExport), errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("verify: %w: %w; give the folder that 'ouraexport export --out' wrote, or an archive .zip", ErrBadInput, err)
	default:
		return fmt.Errorf("verify %s: %w", path, err)
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(s.Out, p)
	}
	if crep != nil {
		return cohortVerified(s.Out, path, crep)
	}
	if !rep.OK() {
		n := len(rep.Problems)
		noun := "problems"
		if n == 1 {
			noun = "problem"
		}
		return fmt.Errorf("verify %s: %d %s found; the export is damaged or incomplete", path, n, noun)
	}
	fmt.Fprintf(s.Out, "verified %d files, %d rows\n", rep.Files, rep.Rows)
	return nil
}
