//go:build !unix

package sinks_test

// maxRSS is not measured here.
func maxRSS() int64 { return 0 }
