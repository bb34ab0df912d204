package webhook

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// CheckCallback checks a callback URL: absolute, https (plain http only
// for a loopback host, such as a local test or the sandbox), without
// credentials or a fragment. Oura delivers only to https.
func CheckCallback(u string) error {
	p, err := url.Parse(u)
	if err != nil || !p.IsAbs() || p.Host == "" {
		return fmt.Errorf("callback URL %q is not an absolute URL: give the https address Oura should send events to", clip40(u))
	}
	if p.User != nil || p.Fragment != "" {
		return fmt.Errorf("callback URL %s must not hold credentials or a fragment", p.Redacted())
	}
	switch p.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(p.Hostname()) {
			return nil
		}
		return fmt.Errorf("callback URL %s must use https (Oura delivers only there; plain http only for a loopback host): put a reverse proxy or tunnel with a certificate in front of 'ouraexport watch'", p.Redacted())
	}
	return fmt.Errorf("callback URL %s is not an https URL", p.Redacted())
}

// isLoopback reports whether host is localhost or a loopback IP.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// clip40 shortens a value for a message.
func clip40(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
