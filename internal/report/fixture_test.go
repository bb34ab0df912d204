package report_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
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

// fixture is a 5-year sandbox export, made once per test binary by the
// ouraexport binary (so that -race does not slow the export down): the
// history up to lapseDays ago, then a second run that the API answers 403
// (the membership lapsed), with the report the export writes.
type fixture struct {
	dir          string
	since, lapse time.Time // the history's first day and last served day
	today        time.Time
}

var fx struct {
	once sync.Once
	f    *fixture
	err  error
	root string // temporary folder of the binary and the fixture
	bin  string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fx.root != "" {
		os.RemoveAll(fx.root)
	}
	os.Exit(code)
}

// binary builds the ouraexport binary the tests run, once.
func binary(tb testing.TB) string {
	tb.Helper()
	fx.once.Do(func() {
		if fx.root, fx.err = os.MkdirTemp("", "ouraexport-report"); fx.err != nil {
			return
		}
		fx.bin = filepath.Join(fx.root, "ouraexport")
		build := exec.Command("go", "build", "-o", fx.bin, "../..")
		if out, err := build.CombinedOutput(); err != nil {
			fx.err = fmt.Errorf("build ouraexport: %v: %s", err, out)
			return
		}
		fx.f, fx.err = makeLapsed(filepath.Join(fx.root, "export"))
	})
	if fx.err != nil {
		tb.Fatal(fx.err)
	}
	return fx.bin
}

// lapsedExport returns the fixture, exporting it on first use.
func lapsedExport(tb testing.TB) *fixture {
	tb.Helper()
	binary(tb)
	return fx.f
}

// run runs the binary; it returns the exit code and what it printed.
func run(env []string, args ...string) (int, string, error) {
	cmd := exec.Command(fx.bin, args...)
	cmd.Env = append([]string{"HOME=" + fx.root, "PATH=" + os.Getenv("PATH")}, env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out), nil
	}
	return 0, string(out), err
}

// sandboxServer runs 'ouraexport sandbox' with args until stop.
func sandboxServer(args ...string) (url string, stop func(), err error) {
	cmd := exec.Command(fx.bin, append([]string{"sandbox", "--addr", "127.0.0.1:0", "--no-gzip"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop = func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
			go io.Copy(io.Discard, stderr)
			return strings.TrimSpace(u), stop, nil
		}
	}
	stop()
	return "", nil, fmt.Errorf("the sandbox did not start: %v", sc.Err())
}

func makeLapsed(dir string) (*fixture, error) {
	today := time.Now().UTC().Truncate(24 * time.Hour)
	f := &fixture{dir: dir, today: today, lapse: today.AddDate(0, 0, -lapseDays), since: today.AddDate(-5, 0, 1)}
	for _, lapsed := range []bool{false, true} {
		args := []string{"--users", "1", "--since", f.since.Format(time.DateOnly), "--until", f.lapse.Format(time.DateOnly)}
		if lapsed {
			args = append(args, "--lapsed")
		}
		url, stop, err := sandboxServer(args...)
		if err != nil {
			return nil, err
		}
		code, out, err := run([]string{"OURA_TOKEN=sandbox-token-1"}, "export", "--api-url", url, "--out", dir, "--format", "parquet", "--quiet")
		stop()
		if err != nil {
			return nil, err
		}
		if want := map[bool]int{false: 0, true: 3}[lapsed]; code != want {
			return nil, fmt.Errorf("export (lapsed %v): exit %d, want %d: %s", lapsed, code, want, out)
		}
	}
	return f, nil
}

// exportSandbox exports user n of a sandbox into dir in this process,
// with the report hook (for benchmarks, which run without -race).
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
