package report_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/catalog"
	"github.com/ouraexport/ouraexport/internal/oura"
	"github.com/ouraexport/ouraexport/internal/report"
	"github.com/ouraexport/ouraexport/internal/sandbox"
	"github.com/ouraexport/ouraexport/sinks"

	_ "github.com/ouraexport/ouraexport/sinks/csv"
	_ "github.com/ouraexport/ouraexport/sinks/jsonarchive"
	_ "github.com/ouraexport/ouraexport/sinks/parquet"
)

// lapseDays is how many days before today the sandbox's membership lapsed
// in the fixture: the API served the history up to then, and 403 after.
const lapseDays = 30

// fixture is a 5-year sandbox export, made once per test binary: the
// history up to lapseDays ago exported, then a second run that the API
// answers 403 (the membership lapsed), as exporter.ExportAccount does it,
// with the report written by the engine's hook.
type fixture struct {
	dir          string
	since, lapse time.Time // the history's first day and last served day
	today        time.Time
}

var fx struct {
	once sync.Once
	f    *fixture
	err  error
	root string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fx.root != "" {
		os.RemoveAll(fx.root)
	}
	os.Exit(code)
}

// lapsedExport returns the fixture, exporting it on first use.
func lapsedExport(tb testing.TB) *fixture {
	tb.Helper()
	fx.once.Do(func() {
		fx.root, fx.err = os.MkdirTemp("", "ouraexport-report")
		if fx.err != nil {
			return
		}
		fx.f, fx.err = makeLapsed(filepath.Join(fx.root, "export"))
	})
	if fx.err != nil {
		tb.Fatal(fx.err)
	}
	return fx.f
}

func makeLapsed(dir string) (*fixture, error) {
	today := time.Now().UTC().Truncate(24 * time.Hour)
	f := &fixture{dir: dir, today: today, lapse: today.AddDate(0, 0, -lapseDays), since: today.AddDate(-5, 0, 1)}
	for _, lapsed := range []bool{false, true} {
		_, err := exportSandbox(dir, sandbox.Options{Users: 1, Since: sandbox.DateOf(f.since), Until: sandbox.DateOf(f.lapse), Lapsed: lapsed, NoGzip: true},
			[]string{"parquet"}, 1)
		if lapsed && errors.Is(err, exporter.ErrPartial) {
			err = nil
		}
		if err != nil {
			return nil, err
		}
	}
	return f, nil
}

// exportSandbox exports user n of a sandbox into dir with the report hook.
func exportSandbox(dir string, so sandbox.Options, formats []string, user int) (*exporter.Result, error) {
	srv, err := sandbox.New(so)
	if err != nil {
		return nil, err
	}
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	reg := catalog.All()
	return exporter.ExportAccount(context.Background(), exporter.AccountOptions{
		Client:   oura.ClientOptions{BaseURL: base, Tokens: oura.StaticToken(srv.Token(user))},
		State:    dir,
		Fetch:    exporter.FetchOptions{Collections: exporter.V2Collections(nil), Workers: 4},
		Out:      func() (sinks.Dir, error) { return sinks.LocalDir(dir) },
		Formats:  formats,
		Registry: reg, ToolVersion: "test",
		After: report.After(nil),
	})
}
