package importer

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNoRecords is wrapped by the *FileError of a path the import was given
// that yields no records: nothing of it would reach the outputs.
var ErrNoRecords = errors.New("nothing to import")

// yielded checks what a path of Options.Paths gave (files, the results of
// its files): a path that yields no records at all is an error, naming the
// file and what the import reads, so that an import never ends "done"
// having kept nothing. Files it kept whole (KeepUnrecognised) count.
func yielded(path string, files []FileResult, keep bool) error {
	for _, f := range files {
		for _, n := range f.Docs {
			if n > 0 {
				return nil
			}
		}
	}
	hint := ""
	if !keep {
		hint = "; to keep such a file whole in the archive, add --keep-unrecognised"
	}
	if len(files) == 1 && files[0].File == path {
		f := files[0]
		var why string
		switch f.Kind {
		case KindUnknown:
			why = "ouraexport does not read this kind of file; it reads " + Readable + hint
			if f.Note != "" && strings.Contains(f.Note, "not kept") {
				why = f.Note
			}
		case KindEmpty:
			why = "the file is empty"
		case KindOutput:
			why = "a table ouraexport wrote (CSV): import the export's archive (archive/oura-export.zip) instead"
		default:
			why = "a file of the kind " + f.Kind + " that holds no records"
		}
		return &FileError{File: path, Err: fmt.Errorf("%w: %s", ErrNoRecords, why)}
	}
	var seen []string
	for i, f := range files {
		if i == 5 {
			seen = append(seen, fmt.Sprintf("and %d more", len(files)-i))
			break
		}
		seen = append(seen, fmt.Sprintf("%s (%s)", f.File, f.Kind))
	}
	what := "no files"
	if len(seen) > 0 {
		what = strings.Join(seen, ", ")
	}
	return &FileError{File: path, Err: fmt.Errorf("%w: it holds no file ouraexport reads (%s); ouraexport reads %s%s",
		ErrNoRecords, what, Readable, hint)}
}

// outputsSkipped marks the output tables read (CSV files an export wrote,
// which the import does not read back) as skipped, unless the import read
// an archive, which holds the same records.
func (im *importer) outputsSkipped() {
	for _, f := range im.res.Files {
		if f.Kind == KindArchive {
			return
		}
	}
	for i, f := range im.res.Files {
		if f.Kind == KindOutput {
			im.res.Files[i].Skipped = true
		}
	}
}
