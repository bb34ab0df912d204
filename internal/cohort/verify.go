package cohort

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ouraexport/ouraexport/sinks"
)

// Report is what Verify found in a cohort.
type Report struct {
	// Report totals the files and rows re-read, over every participant,
	// and lists the problems, with paths relative to the cohort root.
	sinks.Report
	// Participants is the number of participants whose export was checked.
	Participants int
	// NotExported are the participants the newest manifests record as
	// failed: their folders may hold an older export (checked too) or none.
	NotExported []Entry
	// Partial are the participants the newest manifests record as partial:
	// their exports lack collections (their MANIFEST.json says which).
	Partial []Entry
	// Manifests are the cohort manifests read.
	Manifests []string
}

// Verify checks the cohort in the local folder root: every participant the
// cohort manifests (_cohort/shard-*.json) list, with the newest record of
// each winning, must have the MANIFEST.json the manifest recorded, and its
// export must pass sinks.Verify; a participant folder no manifest lists is
// reported as extra, as is any other file outside the participants'
// folders. A folder without cohort manifests gives an error wrapping
// ErrNotCohort and sinks.ErrNotExport.
func Verify(ctx context.Context, root string) (Report, error) {
	return verify(ctx, localTree(root))
}

// VerifyDir is Verify for a cohort behind the Dir interface (an object
// store), checking each participant with sinks.VerifyDir.
func VerifyDir(ctx context.Context, d sinks.Dir) (Report, error) {
	return verify(ctx, dirTree{d})
}

// tree is a cohort's root as verify reads it.
type tree interface {
	fmt.Stringer
	// entries lists the root: participant folders and other folders as
	// "<name>/", files of _cohort/ in full, other files by name.
	entries() ([]string, error)
	// read reads a small file (a manifest); a missing one wraps fs.ErrNotExist.
	read(name string) ([]byte, error)
	// verify checks the export in a folder of the root.
	verify(ctx context.Context, folder string) (sinks.Report, error)
}

func verify(ctx context.Context, t tree) (Report, error) {
	var rep Report
	names, err := t.entries()
	if err != nil {
		return rep, fmt.Errorf("verify: %w", err)
	}
	latest := map[string]Entry{}
	var when = map[string]int64{}
	for _, name := range names {
		if !isManifestName(name) {
			continue
		}
		b, err := t.read(name)
		if err != nil {
			return rep, fmt.Errorf("verify: %w", err)
		}
		m, err := DecodeManifest(bytes.NewReader(b))
		if err != nil {
			rep.Problems = append(rep.Problems, sinks.Problem{Path: name, Err: fmt.Errorf("%w: %w; its participants cannot be checked", sinks.ErrManifest, err)})
			continue
		}
		rep.Manifests = append(rep.Manifests, name)
		for _, e := range m.Participants {
			if at, ok := when[e.ID]; !ok || m.CreatedAt.UnixNano() > at {
				latest[e.ID], when[e.ID] = e, m.CreatedAt.UnixNano()
			}
		}
	}
	if len(rep.Manifests) == 0 && len(rep.Problems) == 0 {
		return rep, fmt.Errorf("%s: %w: %w", t, sinks.ErrNotExport, ErrNotCohort)
	}

	folders := map[string]bool{}
	for _, name := range names {
		switch {
		case isManifestName(name):
		case name == sinks.ReportName:
			// the cohort's index page, linking the participants' reports
		case strings.HasSuffix(name, "/") && strings.HasPrefix(name, FolderPrefix):
			folders[strings.TrimSuffix(name, "/")] = true
		case strings.HasPrefix(name, ".") && !sinks.IsTemp(strings.TrimSuffix(name, "/")):
			// hidden: the engine's state, .DS_Store, ...
		default:
			rep.Problems = append(rep.Problems, sinks.Problem{Path: name, Err: fmt.Errorf("%w: it is not part of the cohort (not a participant's folder or a cohort manifest)", sinks.ErrExtra)})
		}
	}
	ids := make([]string, 0, len(latest))
	for id := range latest {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("verify: %w", err)
		}
		e := latest[id]
		present := folders[e.Folder]
		delete(folders, e.Folder)
		add := func(err error) { rep.Problems = append(rep.Problems, sinks.Problem{Path: e.Folder + "/", Err: err}) }
		if e.Status == Partial {
			rep.Partial = append(rep.Partial, e)
		}
		if e.Status == Failed {
			rep.NotExported = append(rep.NotExported, e)
			if !present {
				continue
			}
			if _, err := t.read(path.Join(e.Folder, sinks.ManifestName)); errors.Is(err, fs.ErrNotExist) {
				continue // no earlier export either
			}
		} else {
			if !present {
				add(fmt.Errorf("%w: the cohort manifest lists this participant as %s, but the folder is gone", sinks.ErrMissing, e.Status))
				continue
			}
			if err := checkManifest(t, e); err != nil {
				add(err)
			}
		}
		sub, err := t.verify(ctx, e.Folder)
		if ctx.Err() != nil {
			return rep, fmt.Errorf("verify: %w", ctx.Err())
		}
		if err != nil {
			add(fmt.Errorf("%w: %w", sinks.ErrManifest, err))
			continue
		}
		rep.Participants++
		rep.Files += sub.Files
		rep.Rows += sub.Rows
		for _, p := range sub.Problems {
			p.Path = e.Folder + "/" + p.Path
			rep.Problems = append(rep.Problems, p)
		}
	}
	for f := range folders {
		rep.Problems = append(rep.Problems, sinks.Problem{Path: f + "/", Err: fmt.Errorf("%w: no cohort manifest lists this participant (a shard still running or failed, or a participant removed from the accounts file)", sinks.ErrExtra)})
	}
	slices.SortStableFunc(rep.Problems, func(a, b sinks.Problem) int { return cmp.Compare(a.Path, b.Path) })
	return rep, nil
}

// checkManifest checks that a participant's MANIFEST.json is the one the
// cohort manifest recorded.
func checkManifest(t tree, e Entry) error {
	b, err := t.read(e.Manifest.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s is gone; the export is incomplete", sinks.ErrMissing, sinks.ManifestName)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", sinks.ErrManifest, err)
	}
	sum := sha256.Sum256(b)
	if int64(len(b)) != e.Manifest.Size || hex.EncodeToString(sum[:]) != e.Manifest.SHA256 {
		return fmt.Errorf("%w: %s is not the one the cohort manifest recorded: a later run that did not finish rewrote it, or it was edited; run the export again to bring the cohort manifest up to date", sinks.ErrDigest, sinks.ManifestName)
	}
	return nil
}

// localTree is a cohort in a local folder.
type localTree string

func (t localTree) String() string { return string(t) }

func (t localTree) entries() ([]string, error) {
	ents, err := os.ReadDir(string(t))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		switch {
		case e.Name() == ManifestFolder && e.IsDir():
			sub, err := os.ReadDir(filepath.Join(string(t), ManifestFolder))
			if err != nil {
				return nil, err
			}
			for _, s := range sub {
				names = append(names, ManifestFolder+"/"+s.Name())
			}
		case e.IsDir():
			names = append(names, e.Name()+"/")
		default:
			names = append(names, e.Name())
		}
	}
	return names, nil
}

func (t localTree) read(name string) ([]byte, error) {
	return readLimited(os.Open(filepath.Join(string(t), filepath.FromSlash(name))))
}

func (t localTree) verify(ctx context.Context, folder string) (sinks.Report, error) {
	return sinks.Verify(ctx, filepath.Join(string(t), folder))
}

// dirTree is a cohort behind the Dir interface.
type dirTree struct{ d sinks.Dir }

func (t dirTree) String() string {
	if u, ok := t.d.(interface{ URL() string }); ok {
		return u.URL()
	}
	return "the cohort folder"
}

func (t dirTree) entries() ([]string, error) {
	all, err := t.d.List()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, name := range all {
		first, _, nested := strings.Cut(name, "/")
		switch {
		case first == ManifestFolder || !nested:
			names = append(names, name)
		case len(names) == 0 || names[len(names)-1] != first+"/":
			names = append(names, first+"/")
		}
	}
	return slices.Compact(names), nil
}

func (t dirTree) read(name string) ([]byte, error) {
	rc, err := t.d.Open(name)
	return readLimited(rc, err)
}

func (t dirTree) verify(ctx context.Context, folder string) (sinks.Report, error) {
	return sinks.VerifyDir(ctx, t.d.Sub(folder))
}

// readLimited reads a manifest, refusing one larger than any manifest is.
func readLimited(rc io.ReadCloser, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 256<<20+1))
	if err == nil && len(b) > 256<<20 {
		err = errors.New("larger than 256 MiB: not a manifest")
	}
	return b, err
}
