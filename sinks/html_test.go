package sinks

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func TestCheckHTML(t *testing.T) {
	page := "<!DOCTYPE html>\n<html lang=\"en\"><body>été " + strings.Repeat("x", 70<<10) + "</body></html>\n"
	for _, c := range []struct {
		name, page string
		ok         bool
	}{
		{"a page", page, true},
		{"truncated", page[:len(page)-9], false},
		{"cut inside a character", "<!DOCTYPE html><html>\xc3", false},
		{"not UTF-8", "<!DOCTYPE html><html>\xff\xfe</html>", false},
		{"not HTML", "PK\x03\x04", false},
		{"empty", "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			rows, err := CheckHTML(context.Background(), bytes.NewReader([]byte(c.page)), int64(len(c.page)))
			if got, want := err == nil, c.ok; got != want {
				t.Fatalf("error %v, want ok %v", err, want)
			}
			if err != nil && !errors.Is(err, ErrDecode) {
				t.Errorf("error %v does not wrap ErrDecode", err)
			}
			if rows != 0 {
				t.Errorf("%d rows, want 0", rows)
			}
		})
	}
}
