package s3

import (
	"path"
	"strings"
	"testing"

	"github.com/ouraexport/ouraexport/sinks"
)

// FuzzParseURL feeds arbitrary --out addresses and endpoints. An accepted
// address has a valid bucket and a clean prefix, and writing it back gives
// the same bucket and prefix; an accepted endpoint is a bare host; errors
// are one line and never show a password.
func FuzzParseURL(f *testing.F) {
	for _, s := range [][2]string{
		{"s3://my-bucket/exports/oura", "https://s3.eu-central-1.amazonaws.com"},
		{"s3://bucket", "localhost:9000"},
		{"s3://bucket/", "http://127.0.0.1:9000/"},
		{"s3://bucket//a", "http://user:secret@minio:9000"},
		{"s3://Bucket/a", "ftp://host"},
		{"s3://b.c-d/a/./b", "https://host/path"},
		{"s3://bu..ck/a", "https://host?x=1"},
		{"s3://-bucket/a/../b", "https://host#frag"},
		{"s3://bucket/.hidden/x", "https://[::1]:9000"},
		{"S3://bucket/x", "://"},
		{"s3://" + strings.Repeat("a", 64) + "/x", "http://%zz"},
		{"s3://bucket/a\\b", "https://user@host"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, raw, endpoint string) {
		bucket, prefix, err := ParseURL(raw)
		if err != nil {
			if bucket != "" || prefix != "" || strings.ContainsAny(err.Error(), "\r\n") && !strings.ContainsAny(raw, "\r\n") {
				t.Fatalf("ParseURL(%q) = %q, %q, %v", raw, bucket, prefix, err)
			}
		} else {
			if !IsURL(raw) || !validBucket(bucket) {
				t.Fatalf("ParseURL(%q): bucket %q", raw, bucket)
			}
			if prefix != "" && (sinks.CheckName(prefix) != nil || path.Clean(prefix) != prefix || strings.HasSuffix(prefix, "/")) {
				t.Fatalf("ParseURL(%q): prefix %q", raw, prefix)
			}
			again := Scheme + bucket
			if prefix != "" {
				again += "/" + prefix
			}
			if b, p, err := ParseURL(again); err != nil || b != bucket || p != prefix {
				t.Fatalf("ParseURL(%q) = %q, %q; written back as %q it gives %q, %q, %v", raw, bucket, prefix, again, b, p, err)
			}
		}
		host, secure, err := parseEndpoint(endpoint)
		if err != nil {
			if pw := password(endpoint); len(pw) > 3 && strings.Contains(err.Error(), pw) {
				t.Fatalf("the error shows the password %q: %v", pw, err)
			}
			return
		}
		if host == "" || strings.ContainsAny(host, "/?#@") {
			t.Fatalf("parseEndpoint(%q) = %q", endpoint, host)
		}
		if secure != !strings.HasPrefix(strings.ToLower(endpoint), "http://") && strings.Contains(endpoint, "://") {
			t.Fatalf("parseEndpoint(%q): secure %v", endpoint, secure)
		}
	})
}

// password returns the password of the user information in an endpoint
// (scheme://user:password@host/...), as a person would read it.
func password(endpoint string) string {
	_, rest, ok := strings.Cut(endpoint, "://")
	if !ok {
		rest = endpoint
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return ""
	}
	_, pw, _ := strings.Cut(rest[:at], ":")
	return pw
}
