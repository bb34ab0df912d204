//go:build unix

package sinks_test

import (
	"runtime"
	"syscall"
)

// maxRSS returns the peak resident set size of the process, in bytes.
func maxRSS() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return ru.Maxrss // bytes there
	}
	return ru.Maxrss << 10 // KiB elsewhere
}
