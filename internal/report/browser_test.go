package report_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromium is Debian's headless-capable Chromium; .ci/run installs it.
const chromium = "/usr/bin/chromium"

// page is what the test reads off the rendered report in the browser.
type page struct {
	CSP     string            `json:"csp"`
	Lang    string            `json:"lang"`
	Title   string            `json:"title"`
	Stats   map[string]string `json:"stats"`
	Origins map[string]string `json:"origins"`
	Groups  []struct {
		ID, DaysWith, Records, Caption string
	} `json:"groups"`
	Gaps [][]string `json:"gaps"`
	// Trends maps a trend's figure id to its mean as shown.
	Trends map[string]string `json:"trends"`
	Months [][]string        `json:"months"`
	Heads  []string          `json:"heads"`
	Tables []struct {
		Name, Rows, First, Last, FirstAt, LastAt string
		Files                                    [][]string // href, path, size text, its title
	} `json:"tables"`
	Charts     int    `json:"charts"`
	Accessible int    `json:"accessible"`
	Verify     string `json:"verify"`
	Notes      string `json:"notes"`
	Background string `json:"background"`
}

// readPage collects the page's numbers in the browser (this script is the
// test's; the report itself has none).
const readPage = `(() => {
const q = (s, r = document) => Array.from(r.querySelectorAll(s));
const text = e => e ? e.textContent.trim() : "";
const out = {csp: document.querySelector('meta[http-equiv="Content-Security-Policy"]').content,
  lang: document.documentElement.lang, title: document.title, stats: {}, origins: {}, trends: {}};
q('.stat').forEach(s => out.stats[s.id] = text(s.querySelector('.value')));
q('#origins tbody tr').forEach(r => out.origins[r.dataset.origin] = text(r.querySelector('td')));
out.groups = q('figure.cal').map(f => ({ID: f.id, DaysWith: f.dataset.daysWith, Records: f.dataset.records, Caption: text(f.querySelector('figcaption'))}));
out.gaps = q('#gap-table tbody tr').map(r => q('td', r).map(text));
q('figure.trend[id]').forEach(f => { const b = f.querySelector('.big'); if (b) out.trends[f.id] = text(b); });
out.heads = q('#month-table thead th').map(text);
out.months = q('#month-table tbody tr').map(r => q('th,td', r).map(text));
out.tables = q('#table-list tbody tr').map(r => ({Name: r.dataset.table, Rows: text(r.querySelector('.rows')),
  First: r.querySelector('.first').firstChild ? r.querySelector('.first').firstChild.textContent.trim() : "",
  Last: r.querySelector('.last').firstChild ? r.querySelector('.last').firstChild.textContent.trim() : "",
  FirstAt: text(r.querySelector('.first span')), LastAt: text(r.querySelector('.last span')),
  Files: q('td.files a', r).map(a => [a.getAttribute('href'), a.dataset.path, text(a.nextElementSibling), a.nextElementSibling.title])}));
out.charts = q('svg').length;
out.accessible = q('svg[role="img"]').filter(s => s.querySelector('title') && s.querySelector('desc') && s.closest('figure') && s.closest('figure').querySelector('figcaption')).length;
out.verify = text(document.getElementById('verify'));
out.notes = text(document.getElementById('notes'));
out.background = getComputedStyle(document.documentElement).backgroundColor;
return out; })()`

// browser is one Chromium for the test binary.
type browser struct {
	ctx context.Context
	mu  sync.Mutex
	// requests are the URLs the page asked for; problems its console
	// errors, exceptions and log entries of level error or warning.
	requests, problems []string
}

// startBrowser starts headless Chromium, or skips (fails when
// OURAEXPORT_REQUIRE_BROWSER=1, as CI sets it).
func startBrowser(t *testing.T) *browser {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("OURAEXPORT_REQUIRE_BROWSER") == "1" {
			t.Fatalf("OURAEXPORT_REQUIRE_BROWSER=1 but %s is missing: apt-get install chromium", chromium)
		}
		t.Skipf("%s is not installed (apt-get install chromium)", chromium)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1100, 900),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true), chromedp.Flag("disable-extensions", true),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelC := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelC(); cancelB(); cancelA() })
	b := &browser{ctx: ctx}
	err := chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			b.requests = append(b.requests, e.Request.URL)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning || e.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value))
				}
				b.problems = append(b.problems, "console "+string(e.Type)+": "+strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			b.problems = append(b.problems, "exception: "+e.ExceptionDetails.Text)
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError || e.Entry.Level == cdplog.EntryLevelWarning {
				b.problems = append(b.problems, "log "+string(e.Entry.Source)+": "+e.Entry.Text)
			}
		}
	})
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return b
}

// load opens a local page and waits for it.
func (b *browser) load(t *testing.T, file string) string {
	t.Helper()
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	u := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	if err := chromedp.Do(b.ctx, chromedp.Navigate(u), chromedp.WaitReady(chromedp.CSS("footer"))); err != nil {
		t.Fatalf("load %s: %v", u, err)
	}
	return u
}

// read returns the page's numbers, as the browser shows them.
func (b *browser) read(t *testing.T) page {
	t.Helper()
	raw, err := chromedp.Run(b.ctx, chromedp.Evaluate[json.RawMessage](readPage))
	if err != nil {
		t.Fatal(err)
	}
	var p page
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	return p
}

// screenshot takes a full-page PNG in the colour scheme asked for.
func (b *browser) screenshot(t *testing.T, scheme string) []byte {
	t.Helper()
	_, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
	if err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	return png
}

// settle gives late events (a blocked load, a console message) time to arrive.
func (b *browser) settle() {
	_ = chromedp.Do(b.ctx, chromedp.Sleep(300*time.Millisecond))
}

// TestReportInBrowser renders the report that a 5-year sandbox export wrote
// (the second run refused with 403: the membership lapsed) in headless
// Chromium, and checks that the page loads nothing and logs no error,
// that it is accessible and has a dark scheme, that the gaps the sandbox
// made (its days without the ring, the lapse) are listed with their dates,
// and that every number shown is the export's own, as DuckDB counts it
// from the Parquet files and as the manifest lists it.
func TestReportInBrowser(t *testing.T) {
	start := time.Now()
	f := lapsedExport(t)
	t.Logf("the export: %s", time.Since(start))
	b := startBrowser(t)
	want := expected(t, f)
	t.Logf("the browser and DuckDB: %s", time.Since(start))
	u := b.load(t, filepath.Join(f.dir, "report.html"))
	light := b.screenshot(t, "light")
	p := b.read(t)
	dark := b.screenshot(t, "dark")
	pd := b.read(t)
	b.settle()
	t.Logf("the page: %s", time.Since(start))
	if dir := os.Getenv("OURAEXPORT_SCREENSHOTS"); dir != "" {
		for name, png := range map[string][]byte{"report-light.png": light, "report-dark.png": dark} {
			if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	t.Run("nothing loaded, nothing logged", func(t *testing.T) {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, r := range b.requests {
			if r != u {
				t.Errorf("the page asked for %s", r)
			}
		}
		if len(b.problems) > 0 {
			t.Errorf("console and log: %q", b.problems)
		}
		for _, d := range []string{"default-src 'none'", "style-src 'sha256-", "img-src data:"} {
			if !strings.Contains(p.CSP, d) {
				t.Errorf("Content-Security-Policy %q lacks %s", p.CSP, d)
			}
		}
		if strings.Contains(p.CSP, "unsafe") {
			t.Errorf("Content-Security-Policy %q allows unsafe sources", p.CSP)
		}
	})
	t.Run("screenshots and schemes", func(t *testing.T) {
		for name, png := range map[string][]byte{"light": light, "dark": dark} {
			if len(png) < 10_000 || string(png[1:4]) != "PNG" {
				t.Errorf("%s screenshot: %d bytes, not a page", name, len(png))
			}
		}
		if p.Background == pd.Background {
			t.Errorf("background %s in both schemes", p.Background)
		}
	})
	t.Run("accessible", func(t *testing.T) {
		if p.Lang != "en" || !strings.Contains(p.Title, "sandbox-user-1@example.com") {
			t.Errorf("lang %q, title %q", p.Lang, p.Title)
		}
		if p.Charts == 0 || p.Accessible != p.Charts {
			t.Errorf("%d of %d charts are figures with a caption and role=img with a title and a description", p.Accessible, p.Charts)
		}
	})
	t.Run("summary", func(t *testing.T) { checkSummary(t, p, want) })
	t.Run("coverage", func(t *testing.T) { checkCoverage(t, p, want) })
	t.Run("gaps", func(t *testing.T) { checkGaps(t, p, want, f) })
	t.Run("trends", func(t *testing.T) { checkTrends(t, p, want) })
	t.Run("tables and files", func(t *testing.T) { checkTables(t, p, want, f) })
}

// contains reports whether a list of groups (as the gap table writes it)
// holds every name.
func contains(list string, names ...string) bool {
	got := strings.Split(list, ", ")
	for _, n := range names {
		if !slices.Contains(got, n) {
			return false
		}
	}
	return true
}
