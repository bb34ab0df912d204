package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/oura"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newLogger returns the logger for format ("text" or "json") on w.
func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			a.Value = slog.StringValue(a.Value.Time().Format(time.DateTime))
		}
		return a
	}}))
}

// progress shows an export's progress: a bar on a terminal, log lines
// otherwise, nothing when quiet. It implements exporter.Progress.
type progress struct {
	mu        sync.Mutex
	w         io.Writer
	bar       *progressbar.ProgressBar
	log       *slog.Logger
	quiet     bool
	stats     *oura.Stats
	estimate  int
	pages     int
	records   int
	done      int
	total     int
	lastLine  time.Time
	every     time.Duration
	startedAt time.Time
}

func newProgress(w io.Writer, log *slog.Logger, quiet bool, collections int, stats *oura.Stats) *progress {
	p := &progress{w: w, log: log, quiet: quiet, total: collections, stats: stats, every: 10 * time.Second, startedAt: time.Now()}
	if !quiet && isTerminal(w) {
		p.bar = progressbar.NewOptions(-1,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("planning"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetItsString("requests"),
			progressbar.OptionShowIts(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionFullWidth(),
		)
	}
	return p
}

var _ exporter.Progress = (*progress)(nil)

func (p *progress) Planned(windows, requests int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.estimate += requests
	if p.bar != nil {
		p.bar.ChangeMax(max(p.estimate, p.pages+1))
	}
}

func (p *progress) Page(collection string, docs int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pages++
	p.records += docs
	if p.estimate < p.pages {
		p.estimate = p.pages + 1
		if p.bar != nil {
			p.bar.ChangeMax(p.estimate)
		}
	}
	if p.bar != nil {
		p.bar.Describe(p.describe())
		p.bar.Add(1)
		return
	}
	if !p.quiet && time.Since(p.lastLine) >= p.every {
		p.lastLine = time.Now()
		p.log.Info("progress", "requests", p.stats.Requests.Load(), "records", p.records,
			"collections_done", fmt.Sprintf("%d/%d", p.done, p.total), "retries", p.stats.Retries.Load())
	}
}

func (p *progress) Done(collection string, docs int, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if p.bar != nil {
		p.bar.Describe(p.describe())
		if err != nil {
			// Print above the bar so it stays visible.
			p.bar.Clear()
			fmt.Fprintf(p.w, "%s: %s\n", collection, exporter.Describe(err))
		}
		return
	}
	if p.quiet {
		return
	}
	if err != nil {
		p.log.Warn("collection incomplete", "collection", collection, "error", exporter.Describe(err))
		return
	}
	p.log.Info("collection fetched", "collection", collection, "documents", docs)
}

func (p *progress) describe() string {
	return fmt.Sprintf("%d/%d collections, %d records", p.done, p.total, p.records)
}

// finish removes the bar.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Finish()
		p.bar.Clear()
	}
}
