package sinks

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// ManifestName is the name of the manifest at the root of an export folder.
const ManifestName = "MANIFEST.json"

// ManifestVersion is the version of the manifest format this package writes
// and reads. It changes when a field is renamed, removed or changes meaning.
const ManifestVersion = 1

// Tool is the name recorded as the maker of every manifest.
const Tool = "ouraexport"

// Manifest lists the files of an export (MANIFEST.json) or of an archive
// (its manifest.json) with their size, SHA-256 and row count, and says what
// the export is.
type Manifest struct {
	// Version is the manifest format version (ManifestVersion).
	Version int `json:"manifest_version"`
	// Tool is the program that made the export (Tool).
	Tool string `json:"tool"`
	Meta
	// CreatedAt is when the manifest was written.
	CreatedAt time.Time `json:"created_at"`
	// Files are the files the export holds, sorted by path.
	Files []File `json:"files"`
}

// NewManifest returns the manifest of an export described by meta that
// consists of files (from every sink's Commit).
func NewManifest(meta Meta, files ...[]File) Manifest {
	m := Manifest{Version: ManifestVersion, Tool: Tool, Meta: meta, CreatedAt: time.Now().UTC()}
	for _, fs := range files {
		m.Files = append(m.Files, fs...)
	}
	return m
}

// Check reports the first problem with the manifest's file list: a bad or
// repeated path, a negative size or row count, a malformed digest.
func (m *Manifest) Check() error {
	seen := make(map[string]bool, len(m.Files))
	for _, f := range m.Files {
		if err := CheckName(f.Path); err != nil {
			return fmt.Errorf("manifest: file %w", err)
		}
		if seen[f.Path] {
			return fmt.Errorf("manifest: file %s listed twice", f.Path)
		}
		seen[f.Path] = true
		if f.Size < 0 || f.Rows < 0 {
			return fmt.Errorf("manifest: file %s has a negative size or row count", f.Path)
		}
		if len(f.SHA256) != 64 || strings.Trim(f.SHA256, "0123456789abcdef") != "" {
			return fmt.Errorf("manifest: file %s has a malformed SHA-256 %q", f.Path, f.SHA256)
		}
	}
	return nil
}

// Encode writes m as indented JSON, its files sorted by path.
func (m Manifest) Encode(w io.Writer) error {
	if m.Version == 0 {
		m.Version = ManifestVersion
	}
	if m.Tool == "" {
		m.Tool = Tool
	}
	m.Files = slices.Clone(m.Files)
	slices.SortFunc(m.Files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	if m.Files == nil {
		m.Files = []File{}
	}
	if err := m.Check(); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	return nil
}

// ErrManifestVersion is returned (wrapped) for a manifest written by a newer
// version of the tool than this one can read.
var ErrManifestVersion = errors.New("unsupported manifest version")

// DecodeManifest reads a manifest written by Encode and checks it.
func DecodeManifest(r io.Reader) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(io.LimitReader(r, 256<<20))
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("decode manifest: %w", err)
	}
	if m.Version < 1 || m.Version > ManifestVersion {
		return Manifest{}, fmt.Errorf("manifest version %d: %w (this is ouraexport manifest version %d)", m.Version, ErrManifestVersion, ManifestVersion)
	}
	if err := m.Check(); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// WriteManifest writes m as MANIFEST.json at root, atomically. The engine
// calls it last, after every sink committed, so that a manifest exists only
// for a complete export.
func WriteManifest(root Dir, m Manifest) error {
	if m.CreatedAt.IsZero() {
		m.CreatedAt = time.Now().UTC()
	}
	w, err := root.Create(ManifestName)
	if err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	defer w.Abort()
	if err := m.Encode(w); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	if _, err := w.Commit(); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	return nil
}

// ReadManifest reads MANIFEST.json at root.
func ReadManifest(root Dir) (Manifest, error) {
	r, err := root.Open(ManifestName)
	if err != nil {
		return Manifest{}, fmt.Errorf("read manifest: %w", err)
	}
	defer r.Close()
	m, err := DecodeManifest(r)
	if err != nil {
		return Manifest{}, fmt.Errorf("read %s: %w", ManifestName, err)
	}
	return m, nil
}

// ReportName is the name of an export's report (written by internal/report)
// at the root of the export folder, beside MANIFEST.json.
const ReportName = "report.html"
