package auth

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// TestOpenBrowser runs a stand-in xdg-open: it gets the authorize URL as
// its one argument, and nothing else.
func TestOpenBrowser(t *testing.T) {
	if err := OpenBrowser("file:///etc/passwd"); err == nil {
		t.Error("opened a file: URL")
	}
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		t.Skip("the stand-in is an xdg-open shell script")
	}
	dir := t.TempDir()
	got := filepath.Join(dir, "args")
	script := "#!/bin/sh\nprintf '%s\\n' \"$#\" \"$@\" > " + got + ".tmp && mv " + got + ".tmp " + got + "\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	const u = "https://cloud.ouraring.com/oauth/authorize?client_id=c&state=s&code_challenge=x"
	if err := OpenBrowser(u); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(got)
		if err == nil {
			if string(b) != "1\n"+u+"\n" {
				t.Errorf("xdg-open got %q", b)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("xdg-open did not run")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
