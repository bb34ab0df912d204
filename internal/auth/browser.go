package auth

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// OpenBrowser opens an http(s) URL in the person's browser (xdg-open, open
// or rundll32). It returns once the opener started; the URL it passes
// holds no secret (an authorize URL carries the client id, the state and
// the PKCE challenge only).
func OpenBrowser(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("refusing to open %q: not an http(s) URL", raw)
	}
	return start(u.String())
}

// OpenFile opens a local file (an export's report.html) in the person's
// browser, as OpenBrowser opens a URL; it refuses anything but an
// existing regular file.
func OpenFile(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("refusing to open %s: not a file", abs)
	}
	return start(abs)
}

// start runs the platform's opener on arg and reaps it in the background.
func start(arg string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", arg)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", arg)
	default:
		cmd = exec.Command("xdg-open", arg)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait() //nolint:errcheck // reaps the opener; its outcome is the browser's business
	return nil
}
