package report

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"filippo.io/age"

	"github.com/ouraexport/ouraexport/sinks"
)

// Name is the report's file name at the root of an export (sinks.ReportName).
const Name = sinks.ReportName

// ErrNotWritten is wrapped by the errors of After: the export itself is
// complete and listed in its manifest, only its report is missing.
var ErrNotWritten = errors.New("the report could not be written")

// Write renders r into name in d, atomically (temporary file, fsync,
// rename), and returns the published file.
func Write(d sinks.Dir, name string, r *Report) (sinks.File, error) {
	b, err := Render(r)
	if err != nil {
		return sinks.File{}, err
	}
	w, err := d.Create(name)
	if err != nil {
		return sinks.File{}, fmt.Errorf("write %s: %w", name, err)
	}
	defer w.Abort()
	if _, err := w.Write(b); err != nil {
		return sinks.File{}, fmt.Errorf("write %s: %w", name, err)
	}
	f, err := w.Commit()
	if err != nil {
		return sinks.File{}, fmt.Errorf("write %s: %w", name, err)
	}
	return f, nil
}

// After returns the engine's hook (exporter.Options.After) that writes an
// export's report.html once its sinks have committed: built from the files
// just published, not verified (Verify needs the manifest, which comes
// last; the report says so), and listed in MANIFEST.json. Encrypted
// archives are read with ids when given. Its errors wrap ErrNotWritten;
// a panic in the report's code becomes one too, so that a report never
// costs an export.
func After(ids []age.Identity) func(ctx context.Context, root sinks.Dir, files []sinks.File, meta sinks.Meta) ([]sinks.File, error) {
	return func(ctx context.Context, root sinks.Dir, files []sinks.File, meta sinks.Meta) (out []sinks.File, err error) {
		defer func() {
			if p := recover(); p != nil {
				out, err = nil, fmt.Errorf("%w: %v\n%s", ErrNotWritten, p, debug.Stack())
			}
		}()
		src := FromDir(root, sinks.NewManifest(meta, files), ids)
		r, err := Build(ctx, src, Options{NotVerified: "This report was written by the export that made the files, " +
			"before their manifest; re-read them with 'ouraexport verify', or write the report again with 'ouraexport report', which verifies."})
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNotWritten, err)
		}
		f, err := Write(root, Name, r)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNotWritten, err)
		}
		return []sinks.File{f}, nil
	}
}
