//go:build !unix

package sinks

import "os"

// processAlive reports whether a process with this id exists. Where that
// cannot be told cheaply, it answers true, so that a running export's
// temporary files are never removed; a killed run's stay until deleted.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
