package cohort

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ouraexport/ouraexport/sinks"
)

// ManifestFolder is the folder of a cohort's manifests, one per shard
// (shard-<i>-of-<n>.json). Spark, Hive and Trino skip names starting with
// '_', so it does not disturb the dataset.
const ManifestFolder = "_cohort"

// ManifestVersion is the version of the cohort manifest format.
const ManifestVersion = 1

// Status is how a participant's export ended.
type Status string

// The statuses a participant can have.
const (
	// Complete: every collection was exported.
	Complete Status = "complete"
	// Partial: some collections could not be exported (403: scope not
	// granted or membership lapsed); the others are complete.
	Partial Status = "partial"
	// Failed: nothing was exported in this run (bad token file, token
	// rejected, server unreachable, output failure); an earlier export
	// may still be in the participant's folder.
	Failed Status = "failed"
)

// Manifest is the record of one shard's run over its participants, written
// last, at _cohort/shard-<i>-of-<n>.json, once every participant is done.
// Each participant's folder holds its own MANIFEST.json (an ordinary
// export manifest); this one says which participants there are, how each
// run ended and which MANIFEST.json (by SHA-256) it left.
type Manifest struct {
	Version     int       `json:"cohort_manifest_version"`
	Tool        string    `json:"tool"`
	ToolVersion string    `json:"tool_version"`
	CreatedAt   time.Time `json:"created_at"`
	// Shard is the part of the cohort this run exported.
	Shard ShardInfo `json:"shard"`
	// Complete, Partial and Failed count the participants by status.
	Complete int `json:"complete"`
	Partial  int `json:"partial"`
	Failed   int `json:"failed"`
	// Files and Rows total the participants' exports (rows of one format).
	Files int   `json:"files"`
	Rows  int64 `json:"rows"`
	// Seconds is how long the run took.
	Seconds float64 `json:"seconds"`
	// Notes are sentences for people about the cohort as a whole.
	Notes        []string `json:"notes,omitempty"`
	Participants []Entry  `json:"participants"`
}

// ShardInfo is a Shard as the manifest records it.
type ShardInfo struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// Entry is one participant in a cohort manifest.
type Entry struct {
	ID     string `json:"id"`
	Folder string `json:"folder"`
	Status Status `json:"status"`
	// Error says why the export failed or is partial, for people.
	Error string `json:"error,omitempty"`
	// Account is the Oura user id the token belongs to.
	Account string `json:"account,omitempty"`
	// Since and Until are the days the export covers.
	Since string `json:"since,omitempty"`
	Until string `json:"until,omitempty"`
	// Incomplete lists the collections that could not be exported.
	Incomplete []string `json:"incomplete,omitempty"`
	// Manifest is the participant's MANIFEST.json as this run published it
	// (path relative to the cohort root); nil when it failed.
	Manifest *sinks.File `json:"manifest,omitempty"`
	Files    int         `json:"files"`
	Rows     int64       `json:"rows"`
	Requests int64       `json:"requests"`
	Seconds  float64     `json:"seconds"`
}

// ManifestPath returns the path of the manifest of shard s, relative to the
// cohort root: _cohort/shard-<i>-of-<n>.json.
func ManifestPath(s Shard) string {
	return ManifestFolder + "/shard-" + strconv.Itoa(s.Index) + "-of-" + strconv.Itoa(max(s.Count, 1)) + ".json"
}

// isManifestName reports whether a name in _cohort/ is a shard manifest.
func isManifestName(name string) bool {
	base := path.Base(name)
	return path.Dir(name) == ManifestFolder && strings.HasPrefix(base, "shard-") && strings.HasSuffix(base, ".json")
}

// Check reports the first problem with m.
func (m *Manifest) Check() error {
	if m.Version < 1 || m.Version > ManifestVersion {
		return fmt.Errorf("cohort manifest version %d: %w (this is version %d)", m.Version, sinks.ErrManifestVersion, ManifestVersion)
	}
	seen := map[string]bool{}
	for _, e := range m.Participants {
		if !ValidID(e.ID) || seen[e.ID] {
			return fmt.Errorf("cohort manifest: participant id %q is invalid or repeated", clip(e.ID))
		}
		seen[e.ID] = true
		if e.Folder != FolderPrefix+e.ID {
			return fmt.Errorf("cohort manifest: participant %s has folder %q", e.ID, clip(e.Folder))
		}
		switch e.Status {
		case Complete, Partial:
			if e.Manifest == nil || e.Manifest.Path != e.Folder+"/"+sinks.ManifestName {
				return fmt.Errorf("cohort manifest: participant %s has no manifest of its folder", e.ID)
			}
		case Failed:
		default:
			return fmt.Errorf("cohort manifest: participant %s has unknown status %q", e.ID, clip(string(e.Status)))
		}
	}
	return nil
}

// Encode writes m as indented JSON.
func (m Manifest) Encode(w io.Writer) error {
	if err := m.Check(); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return fmt.Errorf("encode cohort manifest: %w", err)
	}
	return nil
}

// DecodeManifest reads a cohort manifest and checks it.
func DecodeManifest(r io.Reader) (Manifest, error) {
	var m Manifest
	if err := json.NewDecoder(io.LimitReader(r, 256<<20)).Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("decode cohort manifest: %w", err)
	}
	if err := m.Check(); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// WriteManifest publishes m at its ManifestPath in root, atomically.
func WriteManifest(root sinks.Dir, m Manifest) error {
	name := ManifestPath(Shard{Index: m.Shard.Index, Count: m.Shard.Count})
	w, err := root.Create(name)
	if err != nil {
		return fmt.Errorf("write cohort manifest: %w", err)
	}
	defer w.Abort()
	if err := m.Encode(w); err != nil {
		return fmt.Errorf("write cohort manifest: %w", err)
	}
	if _, err := w.Commit(); err != nil {
		return fmt.Errorf("write cohort manifest: %w", err)
	}
	return nil
}

// ErrNotCohort is returned (wrapped, with sinks.ErrNotExport) for a folder
// that holds no cohort manifest.
var ErrNotCohort = errors.New("not an ouraexport cohort (no " + ManifestFolder + "/shard-*.json)")

// Latest returns every participant of the cohort at root as the newest of
// its shard manifests (_cohort/shard-*.json) records them, sorted by id. A
// manifest that does not decode is an error.
func Latest(root sinks.Dir) ([]Entry, error) {
	names, err := root.Sub(ManifestFolder).List()
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", ManifestFolder, err)
	}
	latest := map[string]Entry{}
	when := map[string]time.Time{}
	for _, n := range names {
		name := ManifestFolder + "/" + n
		if !isManifestName(name) {
			continue
		}
		rc, err := root.Open(name)
		b, err := readLimited(rc, err)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		m, err := DecodeManifest(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for _, e := range m.Participants {
			if at, ok := when[e.ID]; !ok || m.CreatedAt.After(at) {
				latest[e.ID], when[e.ID] = e, m.CreatedAt
			}
		}
	}
	out := make([]Entry, 0, len(latest))
	for _, e := range latest {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}
