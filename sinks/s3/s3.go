// Package s3 is a sinks.Dir in an S3-compatible object store (Amazon S3,
// MinIO, Ceph, versitygw, Cloudflare R2, ...), so that the Parquet, CSV and
// archive sinks write an export straight into a bucket, unchanged.
//
// A file is spooled to a local temporary file while a sink writes it
// (hashing it on the way) and uploaded on Commit with one PUT, or a
// multipart upload for files above the part size; either way S3 makes the
// object appear whole, at once, or not at all, and Abort leaves nothing in
// the bucket. Memory does not grow with the number or size of the files an
// export keeps open.
//
// Addresses are s3://bucket/prefix URLs. Credentials come from Options
// (OptionsFromEnv reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN), else from the shared credentials file and the
// instance, container or Kubernetes (IRSA) identity, as the AWS tools find
// them. They travel only in request signatures and are never logged.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/ouraexport/ouraexport/sinks"
)

// Scheme is the URL scheme of S3 addresses.
const Scheme = "s3://"

// DefaultPartSize is the size of the parts of a multipart upload; files up
// to this size are uploaded with a single PUT.
const DefaultPartSize = 64 << 20

// Options configure the connection to an object store.
type Options struct {
	// Endpoint is the server's URL ("https://s3.example.org",
	// "http://127.0.0.1:7070"); "" means Amazon S3. A custom endpoint is
	// addressed path-style (https://host/bucket/key), which every
	// S3-compatible server accepts; Amazon S3 is addressed as it prefers.
	Endpoint string
	// Region is the bucket's region; "" lets the client ask the server.
	Region string
	// AccessKeyID, SecretAccessKey and SessionToken are static credentials.
	// Without them the shared credentials file (AWS_SHARED_CREDENTIALS_FILE
	// or ~/.aws/credentials, profile AWS_PROFILE) and then the instance,
	// container or web identity (AWS_WEB_IDENTITY_TOKEN_FILE) are tried.
	AccessKeyID, SecretAccessKey, SessionToken string
	// SpoolDir is the local folder for the temporary files that hold what
	// sinks write until it is uploaded; "" means the system's temporary
	// folder. Each process spools into a folder of its own inside it, and
	// removes the folders killed processes left.
	SpoolDir string
	// PartSize is the part size of multipart uploads (default
	// DefaultPartSize, at least 5 MiB as S3 requires).
	PartSize int64
}

// OptionsFromEnv returns Options read from the environment, as the AWS
// command line tools read it: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN, AWS_REGION (or AWS_DEFAULT_REGION), and
// AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL) for the endpoint.
func OptionsFromEnv(getenv func(string) string) Options {
	first := func(names ...string) string {
		for _, n := range names {
			if v := strings.TrimSpace(getenv(n)); v != "" {
				return v
			}
		}
		return ""
	}
	return Options{
		Endpoint:        first("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"),
		Region:          first("AWS_REGION", "AWS_DEFAULT_REGION"),
		AccessKeyID:     first("AWS_ACCESS_KEY_ID"),
		SecretAccessKey: first("AWS_SECRET_ACCESS_KEY"),
		SessionToken:    first("AWS_SESSION_TOKEN"),
	}
}

// Validate reports the first problem with o, or nil. It never quotes a secret.
func (o Options) Validate() error {
	if o.Endpoint != "" {
		if _, _, err := parseEndpoint(o.Endpoint); err != nil {
			return err
		}
	}
	if (o.AccessKeyID == "") != (o.SecretAccessKey == "") {
		return errors.New("s3: set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither")
	}
	if o.SessionToken != "" && o.AccessKeyID == "" {
		return errors.New("s3: AWS_SESSION_TOKEN needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	if o.PartSize != 0 && (o.PartSize < 5<<20 || o.PartSize > 5<<30) {
		return fmt.Errorf("s3: part size %d: S3 takes 5 MiB to 5 GiB", o.PartSize)
	}
	return nil
}

// parseEndpoint splits an endpoint URL into the host and whether it uses TLS.
func parseEndpoint(e string) (host string, secure bool, err error) {
	if !strings.Contains(e, "://") {
		e = "https://" + e
	}
	u, perr := url.Parse(e)
	if perr != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", false, fmt.Errorf("s3: endpoint %q is not an http(s) URL", redact(e))
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return "", false, fmt.Errorf("s3: endpoint %q must be a bare http(s)://host[:port]", redact(e))
	}
	return u.Host, u.Scheme == "https", nil
}

// redact removes any user information from a URL for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil && strings.Contains(raw, "@") {
		return "(an unparseable URL)" // it may hold a password url.Parse could not find
	}
	if err != nil || u.User == nil {
		return raw
	}
	u.User = url.User("REDACTED")
	return u.String()
}

// IsURL reports whether s is an S3 address (s3://...).
func IsURL(s string) bool { return strings.HasPrefix(s, Scheme) }

// ParseURL splits s3://bucket/prefix into the bucket and the prefix
// ("" or a clean slash-separated path, without a trailing slash).
func ParseURL(s string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(s, Scheme)
	if !ok {
		return "", "", fmt.Errorf("%q is not an s3://bucket/prefix address", s)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	prefix = strings.TrimSuffix(prefix, "/")
	if !validBucket(bucket) {
		return "", "", fmt.Errorf("%q: %q is not a valid bucket name (3 to 63 lower-case letters, digits, '.' and '-')", s, bucket)
	}
	if prefix != "" {
		if err := sinks.CheckName(prefix); err != nil {
			return "", "", fmt.Errorf("%q: the prefix must be a clean path without '.', '..', hidden or empty parts", s)
		}
	}
	return bucket, prefix, nil
}

// validBucket reports whether b is a bucket name S3 accepts.
func validBucket(b string) bool {
	if len(b) < 3 || len(b) > 63 {
		return false
	}
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || (c == '.' || c == '-') && i > 0 && i < len(b)-1
		if !ok {
			return false
		}
	}
	return !strings.Contains(b, "..")
}

// store is what every Dir of one Open shares.
type store struct {
	ctx      context.Context
	client   *minio.Client
	bucket   string
	spool    string // this process's spool folder
	partSize int64
	url      string // s3://bucket/prefix of the root, for messages
	closed   atomic.Bool
}

// Dir is a folder in a bucket: every key below a prefix. It implements
// sinks.Dir and is safe for concurrent use.
type Dir struct {
	s      *store
	prefix string // key prefix: "" or ending in "/"
	rel    string // path below the root whose files' paths are relative to it
}

var _ sinks.Dir = (*Dir)(nil)

// Open connects to the bucket of the address rawURL (s3://bucket/prefix)
// and returns the prefix as a Dir. It checks that the bucket exists and that
// the credentials are accepted. Every request the Dir makes later uses ctx
// (sinks.Dir's methods take no context): cancel it to stop uploads. Call
// Close when done, to remove the spool folder.
func Open(ctx context.Context, rawURL string, o Options) (*Dir, error) {
	bucket, prefix, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	client, err := newClient(o)
	if err != nil {
		return nil, err
	}
	ok, err := client.BucketExists(ctx, bucket)
	if err != nil {
		return nil, fmt.Errorf("s3: reach bucket %s at %s: %w", bucket, client.EndpointURL().Host, describe(err))
	}
	if !ok {
		return nil, notFound("s3: bucket " + bucket + " does not exist at " + client.EndpointURL().Host)
	}
	spool, err := newSpool(o.SpoolDir)
	if err != nil {
		return nil, err
	}
	part := o.PartSize
	if part == 0 {
		part = DefaultPartSize
	}
	s := &store{ctx: ctx, client: client, bucket: bucket, spool: spool, partSize: part, url: Scheme + bucket}
	d := &Dir{s: s}
	if prefix != "" {
		d.prefix = prefix + "/"
		s.url += "/" + prefix
	}
	return d, nil
}

func newClient(o Options) (*minio.Client, error) {
	host, secure := "s3.amazonaws.com", true
	lookup := minio.BucketLookupAuto
	if o.Endpoint != "" {
		var err error
		if host, secure, err = parseEndpoint(o.Endpoint); err != nil {
			return nil, err
		}
		lookup = minio.BucketLookupPath
	}
	var creds *credentials.Credentials
	if o.AccessKeyID != "" {
		creds = credentials.NewStaticV4(o.AccessKeyID, o.SecretAccessKey, o.SessionToken)
	} else {
		creds = credentials.NewChainCredentials([]credentials.Provider{
			&credentials.FileAWSCredentials{},
			&credentials.IAM{},
		})
	}
	client, err := minio.New(host, &minio.Options{Creds: creds, Secure: secure, Region: o.Region, BucketLookup: lookup})
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	client.SetAppInfo("ouraexport", "")
	return client, nil
}

// URL returns the Dir's address, s3://bucket/prefix.
func (d *Dir) URL() string {
	if d.prefix == "" {
		return Scheme + d.s.bucket
	}
	return Scheme + d.s.bucket + "/" + strings.TrimSuffix(d.prefix, "/")
}

// Close removes the spool folder. Files still being written fail.
func (d *Dir) Close() error {
	d.s.closed.Store(true)
	if err := os.RemoveAll(d.s.spool); err != nil {
		return fmt.Errorf("s3: remove spool folder: %w", err)
	}
	return nil
}

func (d *Dir) key(name string) string { return d.prefix + name }

// Create starts the file name; it reaches the bucket on Commit.
func (d *Dir) Create(name string) (sinks.FileWriter, error) {
	if err := sinks.CheckName(name); err != nil {
		return nil, fmt.Errorf("create: %w", err)
	}
	w, err := newFile(d.s, d.key(name), path.Join(d.rel, name))
	if err != nil {
		return nil, err
	}
	return w, nil
}

// Open opens a published file for reading; a missing one gives an error
// wrapping fs.ErrNotExist.
func (d *Dir) Open(name string) (io.ReadCloser, error) {
	if err := sinks.CheckName(name); err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	obj, err := d.s.client.GetObject(d.s.ctx, d.s.bucket, d.key(name), minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, describe(err))
	}
	// GetObject is lazy: Stat makes the request and says whether it exists.
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		return nil, fmt.Errorf("open %s: %w", name, describe(err))
	}
	return obj, nil
}

// List returns every object below the Dir's prefix, as names relative to
// it, sorted. Folder markers (keys ending in "/") are left out.
func (d *Dir) List() ([]string, error) {
	ctx, cancel := context.WithCancel(d.s.ctx)
	defer cancel()
	var names []string
	for obj := range d.s.client.ListObjects(ctx, d.s.bucket, minio.ListObjectsOptions{Prefix: d.prefix, Recursive: true}) {
		if obj.Err != nil {
			if isNotFound(obj.Err) {
				return nil, nil
			}
			return nil, fmt.Errorf("list %s: %w", d.URL(), describe(obj.Err))
		}
		name := strings.TrimPrefix(obj.Key, d.prefix)
		if name == "" || strings.HasSuffix(name, "/") {
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}

// Remove deletes a published file. Removing a missing file is not an error
// (S3 deletes are idempotent).
func (d *Dir) Remove(name string) error {
	if err := sinks.CheckName(name); err != nil {
		return fmt.Errorf("remove: %w", err)
	}
	if err := d.s.client.RemoveObject(d.s.ctx, d.s.bucket, d.key(name), minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("remove %s: %w", name, describe(err))
	}
	return nil
}

// Sub returns the sub-folder name; the paths of the files it publishes
// are relative to d's root, as with sinks.LocalDir.
func (d *Dir) Sub(name string) sinks.Dir {
	if err := sinks.CheckName(name); err != nil {
		return sinks.FailedDir(fmt.Errorf("sub: %w", err))
	}
	return &Dir{s: d.s, prefix: d.prefix + name + "/", rel: path.Join(d.rel, name)}
}

// Root returns the sub-folder name as an export root of its own: the paths
// of the files it publishes are relative to it (as if it had been opened
// at s3://bucket/prefix/name). It shares d's connection and spool folder.
func (d *Dir) Root(name string) (*Dir, error) {
	if err := sinks.CheckName(name); err != nil {
		return nil, fmt.Errorf("root: %w", err)
	}
	return &Dir{s: d.s, prefix: d.prefix + name + "/"}, nil
}

// isNotFound reports whether err is S3's answer for a missing key or bucket.
func isNotFound(err error) bool {
	var er minio.ErrorResponse
	if !errors.As(err, &er) {
		return false
	}
	return er.Code == "NoSuchKey" || er.Code == "NoSuchBucket" || er.StatusCode == 404
}

// describe turns S3 errors into errors that say what they mean; a missing
// key wraps fs.ErrNotExist.
func describe(err error) error {
	var er minio.ErrorResponse
	if !errors.As(err, &er) {
		return err
	}
	switch {
	case er.Code == "NoSuchKey" || (er.StatusCode == 404 && er.Code != "NoSuchBucket"):
		return notFound("no such object (S3 " + er.Code + ")")
	case er.Code == "NoSuchBucket":
		return notFound("the bucket does not exist (S3 NoSuchBucket)")
	case er.Code == "AccessDenied" || er.Code == "InvalidAccessKeyId" || er.Code == "SignatureDoesNotMatch" || er.StatusCode == 403:
		return fmt.Errorf("access denied (S3 %s: %s); check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the bucket's policy", er.Code, er.Message)
	}
	return err
}

// notFound is an error for something missing in the store; it wraps
// fs.ErrNotExist under a message of its own.
type notFound string

func (e notFound) Error() string { return string(e) }

func (e notFound) Unwrap() error { return fs.ErrNotExist }
