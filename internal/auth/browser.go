package auth

import (
	"fmt"
	"net/url"
	"os/exec"
	"runtime"
)

// OpenBrowser opens an http(s) URL, or a file:// URL of a local page (an
// export's report), in the person's browser (xdg-open, open or rundll32).
// It returns once the opener started; the URL it passes holds no secret
// (an authorize URL carries the client id, the state and the PKCE
// challenge only).
func OpenBrowser(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "file") {
		return fmt.Errorf("refusing to open %q: not an http(s) or file URL", raw)
	}
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", u.String())
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", u.String())
	default:
		cmd = exec.Command("xdg-open", u.String())
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait() //nolint:errcheck // reaps the opener; its outcome is the browser's business
	return nil
}
