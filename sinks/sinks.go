// Package sinks is the contract between the export engine and the output
// formats: a Sink takes batches of unified rows, streams them into files and,
// on Commit, publishes each file atomically; without a Commit nothing appears.
//
// The package also holds what every format shares: the registry of formats
// (Register, Open, Names), the folder abstraction with its atomic-file helper
// (Dir, LocalDir), the export manifest (MANIFEST.json) and Verify, which
// re-hashes and re-reads a published export. The formats live in the
// subpackages parquet, csv and jsonarchive; sinktest is the conformance suite
// every sink passes. The engine imports this package only, never a format.
package sinks

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/ouraexport/ouraexport/schema"
)

// Sink receives the rows of an export and publishes them as files.
//
// A Sink is safe for concurrent use: calls are serialised. Any error from
// Write or Commit is final: later calls return it too, and Close discards
// everything. A Sink streams: it never holds more than its memory budget of
// rows, whatever the length of the history.
type Sink interface {
	// Write appends the rows of b. It must not keep b, or its vectors, after returning.
	Write(ctx context.Context, b *schema.Batch) error
	// Commit publishes everything written, each file atomically, and returns
	// the published files (sorted by Path).
	Commit(ctx context.Context, meta Meta) ([]File, error)
	// Close releases resources. Without a successful Commit it discards
	// everything: no final file appears, and no temporary file stays.
	Close() error
}

// RawSink is implemented by sinks that also keep API documents exactly as
// received (the archive's raw/ folder). The engine passes every document it
// receives, one JSON value per call, under the name of its collection.
type RawSink interface {
	WriteRaw(ctx context.Context, collection string, doc []byte) error
}

// Flusher is implemented by sinks that buffer rows in memory (Parquet, whose
// row groups are written whole). The engine calls Flush with the tables of
// a collection once it has written every row of it that it holds (a
// collection built, a source merged under it), so that the sink writes out
// what it buffers for them and frees that memory; more rows of those tables
// may still come later. Flush is called at points that depend on the data
// alone, never on timing, so a sink that cuts its files there still writes
// the same bytes for the same rows.
type Flusher interface {
	Flush(ctx context.Context, tables []*schema.Table) error
}

// DefaultMemoryBudget is the memory budget a sink uses when Options leaves
// it at zero. With Go's default garbage collection the heap peaks at about
// twice what is live, so 32 MiB of buffered rows keeps an export of all
// formats at about 100 MiB of heap, under the 150 MiB the tool promises;
// the Parquet sink's quarter of it per table makes heart-rate row groups of
// about 150,000 rows.
const DefaultMemoryBudget = 32 << 20

// Options configures a sink. Open checks them with Validate.
type Options struct {
	// Dir is where the sink writes: the format's own folder (<out>/parquet,
	// <out>/csv, <out>/archive), usually a Sub of the export root.
	Dir Dir
	// Tables are the tables of this export; each gets a file even when it receives no rows.
	Tables []*schema.Table
	// Partition asks for Hive partitioning by year of each table's Partition
	// column (<table>/year=<yyyy>/part-0.<ext>). Parquet and CSV support it;
	// the archive ignores it.
	Partition bool
	// Name is the base name for single-file sinks (the archive: <Name>.zip);
	// "" means "oura-export".
	Name string
	// MemoryBudget bounds the bytes of rows a sink buffers across all the
	// files it has open (0 means DefaultMemoryBudget). The Parquet sink
	// gives each table a quarter of it: when a table's buffered rows exceed
	// that, it writes out the table's largest buffered row group, so that
	// where a file's row groups end depends on its own rows alone.
	MemoryBudget int64
	// CompressionLevel is the format's compression level; 0 means its
	// default. Parquet: zstd level 1 to 22 (default 3). Archive: deflate
	// level 1 to 9 (default 5).
	CompressionLevel int
	// SpoolDir is a local folder for the archive's temporary spool files. ""
	// means a hidden folder beside the output when Dir is local, and the
	// system's temporary folder otherwise. Spool files are 0600 and removed
	// on Commit and Close.
	SpoolDir string
}

// validName matches the names of tables, collections and single files:
// they become file names, so no separators, no dot files.
var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.\-]*$`)

// ValidName reports whether s can be used as a table, collection or file
// base name: ASCII letters, digits, '_', '.', '-', not starting with a dot.
func ValidName(s string) bool { return len(s) <= 200 && validName.MatchString(s) }

// Validate reports the first problem with o, or nil.
func (o Options) Validate() error {
	if o.Dir == nil {
		return errors.New("sink options: no Dir")
	}
	if o.MemoryBudget < 0 {
		return fmt.Errorf("sink options: negative memory budget %d", o.MemoryBudget)
	}
	if o.CompressionLevel < 0 {
		return fmt.Errorf("sink options: negative compression level %d", o.CompressionLevel)
	}
	if o.Name != "" && !ValidName(o.Name) {
		return fmt.Errorf("sink options: name %q is not a valid file name", o.Name)
	}
	seen := make(map[string]bool, len(o.Tables))
	for i, t := range o.Tables {
		if t == nil {
			return fmt.Errorf("sink options: table %d is nil", i)
		}
		if seen[t.Name] {
			return fmt.Errorf("sink options: table %q listed twice", t.Name)
		}
		seen[t.Name] = true
		if err := checkTable(t); err != nil {
			return fmt.Errorf("sink options: %w", err)
		}
	}
	return nil
}

func checkTable(t *schema.Table) error {
	if !ValidName(t.Name) {
		return fmt.Errorf("table name %q is not a valid file name", t.Name)
	}
	if len(t.Columns) == 0 {
		return fmt.Errorf("table %s has no columns", t.Name)
	}
	cols := make(map[string]bool, len(t.Columns))
	for _, c := range t.Columns {
		if c.Name == "" || cols[c.Name] {
			return fmt.Errorf("table %s: empty or repeated column name %q", t.Name, c.Name)
		}
		cols[c.Name] = true
		if c.Type < schema.Date || c.Type > schema.JSON {
			return fmt.Errorf("table %s: column %s has unknown type %v", t.Name, c.Name, c.Type)
		}
	}
	if t.Partition != "" {
		i := t.Index(t.Partition)
		if i < 0 {
			return fmt.Errorf("table %s: partition column %q does not exist", t.Name, t.Partition)
		}
		if typ := t.Columns[i].Type; typ != schema.Date && typ != schema.Timestamp {
			return fmt.Errorf("table %s: partition column %s is %v, not a date or timestamp", t.Name, t.Partition, typ)
		}
	}
	return nil
}

// ArchiveName returns the archive base name o asks for, "oura-export" by default.
func (o Options) ArchiveName() string {
	if o.Name == "" {
		return "oura-export"
	}
	return o.Name
}

// Budget returns the memory budget o asks for, DefaultMemoryBudget by default.
func (o Options) Budget() int64 {
	if o.MemoryBudget == 0 {
		return DefaultMemoryBudget
	}
	return o.MemoryBudget
}

// File is one published file.
type File struct {
	// Path is relative to the export root (the Dir LocalDir returned), slash-separated.
	Path string `json:"path"`
	// Size is the number of bytes on disk.
	Size int64 `json:"size"`
	// SHA256 is the hex SHA-256 digest of the bytes on disk.
	SHA256 string `json:"sha256"`
	// Rows is the number of rows (records) the file holds, as the sink that
	// wrote it counted them; for an archive, the rows of its data/ entries.
	Rows int64 `json:"rows"`
}

// Meta describes an export for people and for manifests: the archive's
// README and manifest.json, the Parquet key-value metadata and MANIFEST.json.
type Meta struct {
	// ToolVersion is the version of ouraexport that made the export.
	ToolVersion string `json:"tool_version"`
	// SchemaVersion is the version of the unified schema (schema.Version).
	SchemaVersion int `json:"schema_version"`
	// ExportedAt is when the export ran.
	ExportedAt time.Time `json:"exported_at"`
	// Subject is the person the data is about.
	Subject Subject `json:"subject"`
	// Period is the span of days the export covers.
	Period Period `json:"period"`
	// Sources are where the records came from.
	Sources []Source `json:"sources,omitempty"`
	// Counts holds the number of API documents received per collection.
	Counts map[string]int64 `json:"documents,omitempty"`
	// Notes are sentences for people: what is missing and why, what was
	// repaired, anything a reader of the export should know.
	Notes []string `json:"notes,omitempty"`
	// Incomplete names what the export lacks: the collections it could not
	// export completely, the files an import skipped (the Notes say why).
	// It is empty for a complete export; verify reports an export that
	// has it as partial.
	Incomplete []string `json:"incomplete,omitempty"`
}

// Subject is the person the data is about.
type Subject struct {
	// ID is the Oura user id (personal_info.id), "" if unknown.
	ID string `json:"id,omitempty"`
	// Email is the account's e-mail address, when the token allowed reading it.
	Email string `json:"email,omitempty"`
	// Account labels the account in a multi-account run, "" otherwise.
	Account string `json:"account,omitempty"`
}

// Period is the span of days an export covers, both ends inclusive, as
// calendar dates (YYYY-MM-DD) on the user's local calendar. An empty Since
// means from the first record; an empty Until, up to the export time.
type Period struct {
	Since string `json:"since,omitempty"`
	Until string `json:"until,omitempty"`
}

// Source is where records came from: an API or an imported file.
type Source struct {
	// Name says what it is: "Oura Cloud API v2", "Oura Cloud JSON export".
	Name string `json:"name"`
	// URL is the API's base URL or the imported file's name.
	URL string `json:"url,omitempty"`
	// Collections lists the collections read from it.
	Collections []string `json:"collections,omitempty"`
}

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// Validate reports the first problem with m, or nil.
func (m Meta) Validate() error {
	if m.ToolVersion == "" {
		return errors.New("export meta: no tool version")
	}
	if m.SchemaVersion <= 0 {
		return fmt.Errorf("export meta: schema version %d", m.SchemaVersion)
	}
	if m.ExportedAt.IsZero() {
		return errors.New("export meta: no export time")
	}
	for _, d := range []string{m.Period.Since, m.Period.Until} {
		if d == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, d); err != nil || !dateRE.MatchString(d) {
			return fmt.Errorf("export meta: period date %q is not YYYY-MM-DD", d)
		}
	}
	if m.Period.Since != "" && m.Period.Until != "" && m.Period.Since > m.Period.Until {
		return fmt.Errorf("export meta: period %s..%s ends before it starts", m.Period.Since, m.Period.Until)
	}
	return nil
}

// Errors a sink returns for calls its state does not allow.
var (
	// ErrClosed is returned by Write and Commit after Close.
	ErrClosed = errors.New("sink is closed")
	// ErrCommitted is returned by Write and Commit after a successful Commit.
	ErrCommitted = errors.New("sink is already committed")
)
