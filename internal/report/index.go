package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"time"

	"github.com/ouraexport/ouraexport/sinks"
)

//go:embed index.html.tmpl
var indexText string

var indexPage = template.Must(template.New("index").Parse(indexText))

// Index is the page at the root of a cohort that links the report of each
// participant.
type Index struct {
	// Title names the cohort (its folder).
	Title        string
	Participants []Participant
	// CreatedAt is when the page was made.
	CreatedAt   time.Time
	ToolVersion string
}

// Participant is one participant of a cohort, as its cohort manifest
// records the last run.
type Participant struct {
	ID, Folder string
	// Status is complete, partial or failed.
	Status string
	// Error says why a run failed or is partial.
	Error        string
	Since, Until string
	Rows         int64
	// Report is the link to the participant's report.html, relative to
	// the cohort root ("" when the participant has none).
	Report string
}

// RenderIndex draws a cohort's index page, as self-contained as a report.
func RenderIndex(ix Index) ([]byte, error) {
	type row struct {
		Participant
		RowsText string
	}
	v := struct {
		Index
		CSS     template.CSS
		CSP     string
		Rows    []row
		Created string
		Counts  string
	}{Index: ix, CSS: template.CSS(styleText), CSP: csp(styleText), Created: exportTime(ix.CreatedAt)}
	per := map[string]int{}
	for _, p := range ix.Participants {
		v.Rows = append(v.Rows, row{p, comma(p.Rows)})
		per[p.Status]++
	}
	v.Counts = fmt.Sprintf("%s: %d complete, %d partial, %d failed.", plural(int64(len(ix.Participants)), "participant", "participants"),
		per["complete"], per["partial"], per["failed"])
	var b bytes.Buffer
	if err := indexPage.Execute(&b, v); err != nil {
		return nil, fmt.Errorf("render the cohort index: %w", err)
	}
	return b.Bytes(), nil
}

// WriteIndex writes the cohort's index page at its root (report.html),
// atomically.
func WriteIndex(root sinks.Dir, ix Index) (sinks.File, error) {
	b, err := RenderIndex(ix)
	if err != nil {
		return sinks.File{}, err
	}
	w, err := root.Create(Name)
	if err != nil {
		return sinks.File{}, fmt.Errorf("write %s: %w", Name, err)
	}
	defer w.Abort()
	if _, err := w.Write(b); err != nil {
		return sinks.File{}, fmt.Errorf("write %s: %w", Name, err)
	}
	return w.Commit()
}
