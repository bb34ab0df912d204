package s3test

import (
	"path/filepath"
	"syscall"
)

// xattrs reports whether the file system of dir keeps user extended
// attributes, where versitygw's posix backend keeps object metadata.
func xattrs(dir string) bool {
	p := filepath.Join(dir, ".xattr-probe")
	if err := writeEmpty(p); err != nil {
		return false
	}
	defer removeFile(p)
	return syscall.Setxattr(p, "user.ouraexport.probe", []byte("1"), 0) == nil
}
