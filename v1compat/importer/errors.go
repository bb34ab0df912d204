package importer

import (
	"errors"
	"fmt"
)

// ErrBadFile is matched (errors.Is) by every *FileError.
var ErrBadFile = errors.New("bad file")

// FileError is a file that could not be imported: the file (a zip entry
// as zip!entry), the line where the problem is (0 when the file as a whole
// is the problem) and what it is.
type FileError struct {
	File string
	Line int
	Err  error
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

// Unwrap returns the cause and ErrBadFile.
func (e *FileError) Unwrap() []error { return []error{e.Err, ErrBadFile} }

// lineError is a problem at a line of the file being parsed; the parser
// that meets it does not know the file's name.
type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %v", e.line, e.err) }
func (e *lineError) Unwrap() error { return e.err }

func atLine(line int, format string, args ...any) error {
	return &lineError{line: line, err: fmt.Errorf(format, args...)}
}

// fileError places err in file.
func fileError(file string, err error) error {
	var fe *FileError
	if errors.As(err, &fe) {
		return err
	}
	var le *lineError
	if errors.As(err, &le) {
		return &FileError{File: file, Line: le.line, Err: le.err}
	}
	return &FileError{File: file, Err: err}
}
