// Package s3test runs a real S3-compatible server on loopback for tests:
// versitygw (https://github.com/versity/versitygw, Apache-2.0) with its
// posix backend on a temporary folder. Tests that need it call Start.
//
// The binary is $OURAEXPORT_VERSITYGW, else versitygw on $PATH, else in
// $GOBIN or $GOPATH/bin (where "go install
// github.com/versity/versitygw/cmd/versitygw@v1.8.0" puts it; .ci/run
// installs it with .ci/install-versitygw). Without it Start skips the test,
// unless $OURAEXPORT_REQUIRE_S3 is set (as on CI): then it fails.
package s3test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/ouraexport/ouraexport/sinks/s3"
)

// Credentials of the test server's root account.
const (
	AccessKey = "ouraexport-test"
	SecretKey = "ouraexport-test-secret"
)

// Server is a running versitygw.
type Server struct {
	// Endpoint is its URL, http://127.0.0.1:<port>.
	Endpoint string
	// Root is the folder its posix backend stores buckets in (one folder
	// per bucket, one file per object).
	Root string
}

// Binary returns the path of the versitygw binary, or "".
func Binary() string {
	if p := os.Getenv("OURAEXPORT_VERSITYGW"); p != "" {
		return p
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	var dirs []string
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		dirs = append(dirs, gobin)
	}
	if gopath := os.Getenv("GOPATH"); gopath != "" {
		dirs = append(dirs, filepath.Join(filepath.SplitList(gopath)[0], "bin"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "versitygw")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	return ""
}

// Start starts a versitygw for the test and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary()
	if bin == "" {
		msg := "versitygw is not installed: run 'go install github.com/versity/versitygw/cmd/versitygw@v1.8.0' (or .ci/install-versitygw) to run the S3 tests"
		if os.Getenv("OURAEXPORT_REQUIRE_S3") != "" {
			t.Fatal(msg + " (OURAEXPORT_REQUIRE_S3 is set)")
		}
		t.Skip(msg)
	}
	root := filepath.Join(t.TempDir(), "buckets")
	if err := os.Mkdir(root, 0o700); err != nil {
		t.Fatal(err)
	}
	var last error
	for range 5 {
		srv, err := start(t, bin, root)
		if err == nil {
			return srv
		}
		last = err
	}
	t.Fatalf("start versitygw: %v", last)
	return nil
}

// start runs versitygw on a free port; it fails when the server exits
// (another process took the port) or does not answer in time.
func start(t testing.TB, bin, root string) (*Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	args := []string{"--access", AccessKey, "--secret", SecretKey, "--port", addr, "--quiet", "posix"}
	if !xattrs(root) {
		// The file system keeps no extended attributes (tmpfs before Linux
		// 6.6): keep object metadata in files beside the buckets instead.
		sidecar := filepath.Join(filepath.Dir(root), "meta")
		if err := os.MkdirAll(sidecar, 0o700); err != nil {
			return nil, err
		}
		args = append(args, "--sidecar", sidecar)
	}
	args = append(args, root)
	cmd := exec.Command(bin, args...)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		cmd.Process.Kill()
		<-exited
	}
	endpoint := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("versitygw exited (%v): %s", err, out.String())
		default:
		}
		resp, err := http.Get(endpoint + "/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("versitygw did not answer on %s: %s", addr, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(stop)
	return &Server{Endpoint: endpoint, Root: root}, nil
}

// Options returns options that reach the server with its root account.
func (s *Server) Options() s3.Options {
	return s3.Options{Endpoint: s.Endpoint, Region: "us-east-1", AccessKeyID: AccessKey, SecretAccessKey: SecretKey}
}

// Setenv points the AWS environment variables at the server for the test.
func (s *Server) Setenv(t testing.TB) {
	t.Helper()
	t.Setenv("AWS_ENDPOINT_URL", s.Endpoint)
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", SecretKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
}

// Client returns a plain S3 client of the server, for tests that look at
// or tamper with objects behind the Dir's back.
func (s *Server) Client(t testing.TB) *minio.Client {
	t.Helper()
	c, err := minio.New(s.Endpoint[len("http://"):], &minio.Options{
		Creds: credentials.NewStaticV4(AccessKey, SecretKey, ""), Region: "us-east-1", BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Bucket creates a bucket and returns its name.
func (s *Server) Bucket(t testing.TB, name string) string {
	t.Helper()
	if err := s.Client(t).MakeBucket(context.Background(), name, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("make bucket %s: %v", name, err)
	}
	return name
}

// Objects returns every key in the bucket below prefix, with its content.
func (s *Server) Objects(t testing.TB, bucket, prefix string) map[string][]byte {
	t.Helper()
	c := s.Client(t)
	ctx := context.Background()
	out := map[string][]byte{}
	for o := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			t.Fatalf("list %s/%s: %v", bucket, prefix, o.Err)
		}
		obj, err := c.GetObject(ctx, bucket, o.Key, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := b.ReadFrom(obj); err != nil {
			t.Fatalf("read %s: %v", o.Key, err)
		}
		obj.Close()
		out[o.Key] = b.Bytes()
	}
	return out
}

// Put stores an object as it is, behind the back of any Dir.
func (s *Server) Put(t testing.TB, bucket, key string, content []byte) {
	t.Helper()
	_, err := s.Client(t).PutObject(context.Background(), bucket, key, bytes.NewReader(content), int64(len(content)), minio.PutObjectOptions{})
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

// syncBuffer collects a process's output from its copying goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func writeEmpty(p string) error { return os.WriteFile(p, nil, 0o600) }

func removeFile(p string) { os.Remove(p) }
