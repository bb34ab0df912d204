package sinks_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/sinks"
	"github.com/ouraexport/ouraexport/sinks/sinktest"
)

const digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestManifestRoundTrip(t *testing.T) {
	d, _ := localDir(t)
	m := sinks.NewManifest(sinktest.Meta(),
		[]sinks.File{{Path: "parquet/b.parquet", Size: 10, SHA256: digest, Rows: 3}},
		[]sinks.File{{Path: "csv/a.csv", Size: 5, SHA256: digest, Rows: 0}})
	if err := sinks.WriteManifest(d, m); err != nil {
		t.Fatal(err)
	}
	got, err := sinks.ReadManifest(d)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != sinks.ManifestVersion || got.Tool != "ouraexport" || got.ToolVersion != "v0.0.0-test" ||
		!got.ExportedAt.Equal(m.ExportedAt) || got.Subject != m.Subject || got.Period != m.Period || got.Counts["heartrate"] != 3 ||
		len(got.Sources) != 1 || len(got.Notes) != 1 || got.CreatedAt.IsZero() {
		t.Errorf("manifest meta did not survive: %+v", got)
	}
	if len(got.Files) != 2 || got.Files[0].Path != "csv/a.csv" || got.Files[1] != m.Files[0] {
		t.Errorf("files %+v, want sorted %+v", got.Files, m.Files)
	}
	names, _ := d.List()
	if len(names) != 1 || names[0] != sinks.ManifestName {
		t.Errorf("folder holds %v", names)
	}
}

func TestManifestRejects(t *testing.T) {
	file := func(p, sum string) sinks.File { return sinks.File{Path: p, Size: 1, SHA256: sum, Rows: 1} }
	cases := map[string][]sinks.File{
		"repeated path": {file("a.csv", digest), file("a.csv", digest)},
		"escaping path": {file("../a.csv", digest)},
		"absolute path": {file("/etc/passwd", digest)},
		"short digest":  {file("a.csv", "abc")},
		"upper digest":  {file("a.csv", strings.ToUpper(digest))},
		"negative size": {{Path: "a.csv", Size: -1, SHA256: digest}},
	}
	for name, files := range cases {
		t.Run(name, func(t *testing.T) {
			m := sinks.NewManifest(sinktest.Meta(), files)
			var buf bytes.Buffer
			if err := m.Encode(&buf); err == nil {
				t.Error("Encode accepted it")
			}
		})
	}
	t.Run("newer version", func(t *testing.T) {
		_, err := sinks.DecodeManifest(strings.NewReader(`{"manifest_version": 99, "files": []}`))
		if !errors.Is(err, sinks.ErrManifestVersion) {
			t.Errorf("got %v, want ErrManifestVersion", err)
		}
	})
	t.Run("not JSON", func(t *testing.T) {
		if _, err := sinks.DecodeManifest(strings.NewReader(`{"manifest_version": 1,`)); err == nil {
			t.Error("accepted")
		}
	})
}

func TestMetaValidate(t *testing.T) {
	ok := sinktest.Meta()
	cases := map[string]func(*sinks.Meta){
		"no version":     func(m *sinks.Meta) { m.ToolVersion = "" },
		"no schema":      func(m *sinks.Meta) { m.SchemaVersion = 0 },
		"no time":        func(m *sinks.Meta) { m.ExportedAt = time.Time{} },
		"bad date":       func(m *sinks.Meta) { m.Period.Since = "2024-1-1" },
		"invalid date":   func(m *sinks.Meta) { m.Period.Until = "2024-02-30" },
		"reversed range": func(m *sinks.Meta) { m.Period = sinks.Period{Since: "2025-01-01", Until: "2024-01-01"} },
	}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, edit := range cases {
		m := sinktest.Meta()
		edit(&m)
		if err := m.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", name, m)
		}
	}
}

func FuzzDecodeManifest(f *testing.F) {
	var buf bytes.Buffer
	sinks.NewManifest(sinktest.Meta(), []sinks.File{{Path: "a.csv", Size: 1, SHA256: digest, Rows: 2}}).Encode(&buf)
	f.Add(buf.String())
	f.Add(`{"manifest_version":1,"files":[{"path":"../x","size":1,"sha256":"` + digest + `","rows":1}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		m, err := sinks.DecodeManifest(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, file := range m.Files {
			if sinks.CheckName(file.Path) != nil {
				t.Fatalf("decoded a manifest with path %q", file.Path)
			}
		}
	})
}
