// Command benchexport measures a whole export the way a user runs it: the
// ouraexport binary exporting a sandbox's history over loopback, the
// sandbox in a process of its own (so its CPU is not the export's), with a
// latency added to every answer. For each run it prints the wall time, the
// CPU (user+sys) and peak RSS of the export process, the requests it made,
// the sandbox's CPU, and the two floors an export cannot beat:
//
//	latency floor = requests x latency / workers
//	build floor   = build CPU / cores
//
// Build CPU is measured by rebuilding the run's outputs from its store
// alone, in a process of its own (no server, no fetch); with -sinks it is
// also measured per format, so the cost of each sink is a difference of
// measurements. Medians close the table.
//
//	go run ./internal/tools/benchexport -years 5 -latency 100ms -workers 4 -runs 3
//
// Run it on an idle machine: wall times are only as quiet as the machine.
// With BENCHEXPORT_CPUPROFILE=FILE in the environment, the rebuilds write a
// CPU profile of the build alone to FILE.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/internal/catalog"
	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/sinks"
	_ "github.com/ouraexport/ouraexport/sinks/csv"
	_ "github.com/ouraexport/ouraexport/sinks/jsonarchive"
	_ "github.com/ouraexport/ouraexport/sinks/parquet"
)

type options struct {
	years       int
	until       string
	latency     time.Duration
	workers     int
	runs        int
	formats     string
	bin         string
	cores       int
	perSink     bool
	keep        string
	rebuildOnly string
	seed        int
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-child-rebuild" {
		// A child process: rebuild the outputs of a store (build CPU alone).
		if err := rebuild(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "benchexport -child-rebuild:", err)
			os.Exit(1)
		}
		return
	}
	var o options
	flag.IntVar(&o.years, "years", 5, "years of history the sandbox serves")
	flag.StringVar(&o.until, "until", "2026-10-31", "last day of the history (YYYY-MM-DD)")
	flag.DurationVar(&o.latency, "latency", 100*time.Millisecond, "latency the sandbox adds to every answer")
	flag.IntVar(&o.workers, "workers", 4, "export --workers")
	flag.IntVar(&o.runs, "runs", 3, "exports to run (medians are printed)")
	flag.StringVar(&o.formats, "format", "parquet,csv,archive", "export --format")
	flag.StringVar(&o.bin, "bin", "", "ouraexport binary (default: build it from this module)")
	flag.IntVar(&o.cores, "cores", runtime.NumCPU(), "cores, for the build floor")
	flag.BoolVar(&o.perSink, "sinks", false, "also rebuild with each format alone (and none), for the CPU of each sink")
	flag.StringVar(&o.keep, "keep", "", "keep the last run's export in this folder")
	flag.StringVar(&o.rebuildOnly, "rebuild", "", "only rebuild the export kept in this folder (-keep), -runs times")
	flag.IntVar(&o.seed, "seed", 7, "seed of the sandbox's history")
	flag.Parse()
	if err := bench(o); err != nil {
		fmt.Fprintln(os.Stderr, "benchexport:", err)
		os.Exit(1)
	}
}

// usage is what one process used.
type usage struct {
	wall, cpu time.Duration
	rss       int64 // peak resident set, bytes
}

func usageOf(ps *os.ProcessState, wall time.Duration) usage {
	u := usage{wall: wall, cpu: ps.UserTime() + ps.SystemTime()}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		u.rss = ru.Maxrss << 10 // kilobytes on Linux
	}
	return u
}

type result struct {
	export   usage
	build    usage
	sinks    map[string]usage // rebuilds with one format alone ("" none)
	requests int64
	sandbox  time.Duration // the sandbox's CPU during the export
	rows     int64
}

func bench(o options) error {
	if o.rebuildOnly != "" {
		// The build alone, from a kept export's store: for profiling and
		// comparing CPU without a server.
		for i := range o.runs {
			u, err := rebuildOnce(o.rebuildOnly, o.formats)
			if err != nil {
				return err
			}
			fmt.Printf("rebuild %d: wall %.2f s, cpu %.2f s, rss %.1f MiB\n", i+1, u.wall.Seconds(), u.cpu.Seconds(), mib(u.rss))
		}
		return nil
	}
	tmp, err := os.MkdirTemp("", "benchexport")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if o.bin == "" {
		o.bin = filepath.Join(tmp, "ouraexport")
		build := exec.Command("go", "build", "-o", o.bin, "github.com/ouraexport/ouraexport")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build ouraexport: %w", err)
		}
	}
	until, err := time.Parse(time.DateOnly, o.until)
	if err != nil {
		return fmt.Errorf("-until: %w", err)
	}
	since := until.AddDate(-o.years, 0, 1)
	sb := exec.Command(o.bin, "sandbox", "--addr", "127.0.0.1:0", "--users", "1", "--seed", strconv.Itoa(o.seed),
		"--since", since.Format(time.DateOnly), "--until", o.until, "--latency", o.latency.String(),
		"--no-gzip", "--rate-limit", "off")
	stderr, err := sb.StderrPipe()
	if err != nil {
		return err
	}
	if err := sb.Start(); err != nil {
		return fmt.Errorf("start the sandbox: %w", err)
	}
	defer func() {
		sb.Process.Signal(os.Interrupt)
		sb.Wait()
	}()
	url, err := listening(stderr)
	if err != nil {
		return err
	}
	fmt.Printf("history %s..%s (%d years), latency %s, workers %d, formats %s, %d cores, GOMAXPROCS %d\n",
		since.Format(time.DateOnly), o.until, o.years, o.latency, o.workers, o.formats, o.cores, runtime.GOMAXPROCS(0))
	fmt.Printf("%-4s %8s %8s %8s %9s %8s %8s %8s %9s %9s %7s %7s\n", "run", "wall-s", "cpu-s", "rss-MiB", "requests",
		"sbox-s", "build-s", "b-rss", "lat-floor", "bld-floor", "x-floor", "us/row")
	var all []result
	for i := range o.runs {
		out := filepath.Join(tmp, fmt.Sprintf("run%d", i))
		r, err := runOnce(o, url, out, sb.Process.Pid)
		if err != nil {
			return err
		}
		all = append(all, r)
		printRow(o, strconv.Itoa(i+1), r)
		if o.keep != "" && i == o.runs-1 {
			os.RemoveAll(o.keep)
			if err := os.Rename(out, o.keep); err != nil {
				return err
			}
		} else {
			os.RemoveAll(out)
		}
	}
	med := result{sinks: map[string]usage{}}
	med.export = medianUsage(all, func(r result) usage { return r.export })
	med.build = medianUsage(all, func(r result) usage { return r.build })
	med.requests = int64(median(all, func(r result) float64 { return float64(r.requests) }))
	med.sandbox = time.Duration(median(all, func(r result) float64 { return float64(r.sandbox) }))
	med.rows = all[0].rows
	printRow(o, "med", med)
	if o.perSink {
		fmt.Printf("\nrebuild from the store, median CPU (the difference to none is the sink's):\n")
		fmt.Printf("%-8s %8s %8s %8s %8s\n", "format", "wall-s", "cpu-s", "sink-s", "rss-MiB")
		none := medianUsage(all, func(r result) usage { return r.sinks[""] })
		for _, f := range append([]string{""}, strings.Split(o.formats, ",")...) {
			u := medianUsage(all, func(r result) usage { return r.sinks[f] })
			name := f
			if f == "" {
				name = "none"
			}
			fmt.Printf("%-8s %8.2f %8.2f %8.2f %8.1f\n", name, u.wall.Seconds(), u.cpu.Seconds(), (u.cpu - none.cpu).Seconds(), mib(u.rss))
		}
	}
	return nil
}

func printRow(o options, label string, r result) {
	lat := time.Duration(r.requests) * o.latency / time.Duration(o.workers)
	bld := r.build.cpu / time.Duration(o.cores)
	floor := max(lat, bld)
	x := 0.0
	if floor > 0 {
		x = r.export.wall.Seconds() / floor.Seconds()
	}
	perRow := 0.0
	if r.rows > 0 {
		perRow = float64(r.build.cpu.Microseconds()) / float64(r.rows)
	}
	fmt.Printf("%-4s %8.2f %8.2f %8.1f %9d %8.2f %8.2f %8.1f %9.2f %9.2f %7.2f %7.3f\n", label, r.export.wall.Seconds(),
		r.export.cpu.Seconds(), mib(r.export.rss), r.requests, r.sandbox.Seconds(), r.build.cpu.Seconds(), mib(r.build.rss),
		lat.Seconds(), bld.Seconds(), x, perRow)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// runOnce exports the sandbox into out, then rebuilds out's store.
func runOnce(o options, url, out string, sandboxPid int) (result, error) {
	var r result
	before, err := requests(url)
	if err != nil {
		return r, err
	}
	cpu0, err := processCPU(sandboxPid)
	if err != nil {
		return r, err
	}
	cmd := exec.Command(o.bin, "export", "--api-url", url, "--out", out, "--workers", strconv.Itoa(o.workers),
		"--format", o.formats, "--until", o.until, "--quiet")
	cmd.Env = append(os.Environ(), "OURA_TOKEN=sandbox-token-1")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return r, fmt.Errorf("export: %w", err)
	}
	r.export = usageOf(cmd.ProcessState, time.Since(start))
	cpu1, err := processCPU(sandboxPid)
	if err != nil {
		return r, err
	}
	r.sandbox = cpu1 - cpu0
	after, err := requests(url)
	if err != nil {
		return r, err
	}
	r.requests = after - before - 1 // the stats request itself
	if r.rows, err = manifestRows(out); err != nil {
		return r, err
	}
	if r.build, err = rebuildOnce(out, o.formats); err != nil {
		return r, err
	}
	if o.perSink {
		r.sinks = map[string]usage{}
		for _, f := range append([]string{""}, strings.Split(o.formats, ",")...) {
			if r.sinks[f], err = rebuildOnce(out, f); err != nil {
				return r, err
			}
		}
	}
	return r, nil
}

// rebuildOnce runs this program as a child rebuilding out's store into formats.
func rebuildOnce(out, formats string) (usage, error) {
	self, err := os.Executable()
	if err != nil {
		return usage{}, err
	}
	dst, err := os.MkdirTemp(filepath.Dir(out), "rebuild")
	if err != nil {
		return usage{}, err
	}
	defer os.RemoveAll(dst)
	cmd := exec.Command(self, "-child-rebuild", filepath.Join(out, exporter.StoreDir), dst, formats)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return usage{}, fmt.Errorf("rebuild: %w", err)
	}
	return usageOf(cmd.ProcessState, time.Since(start)), nil
}

// rebuild is the child: args are the store, the output folder and the formats.
func rebuild(args []string) error {
	if len(args) != 3 {
		return errors.New("want STORE OUT FORMATS")
	}
	debug.SetMemoryLimit(128 << 20) // as the command does (main.go)
	if p := os.Getenv("BENCHEXPORT_CPUPROFILE"); p != "" {
		// A profile of the build alone: go tool pprof -top FILE.
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	st, err := exporter.OpenStore(args[0])
	if err != nil {
		return err
	}
	defer st.Close()
	root, err := sinks.LocalDir(args[1])
	if err != nil {
		return err
	}
	reg := catalog.All()
	stored, err := exporter.Stored(st, reg.Collections())
	if err != nil {
		return err
	}
	tables := exporter.OutputTables(stored)
	var outs []sinks.Sink
	if args[2] == "" {
		outs = append(outs, discard{}) // reading and mapping alone
	}
	for _, f := range strings.Split(args[2], ",") {
		if f == "" {
			continue
		}
		s, err := sinks.Open(f, sinks.Options{Dir: root.Sub(f), Tables: tables})
		if err != nil {
			return err
		}
		outs = append(outs, s)
	}
	_, err = exporter.Rebuild(context.Background(), exporter.RebuildOptions{Store: st, Collections: reg.Collections(),
		Sinks: outs, Root: root, Tables: tables, ToolVersion: "bench"})
	return err
}

// discard is a sink that keeps nothing.
type discard struct{}

func (discard) Write(context.Context, *schema.Batch) error               { return nil }
func (discard) Commit(context.Context, sinks.Meta) ([]sinks.File, error) { return nil, nil }
func (discard) Close() error                                             { return nil }

// listening reads the sandbox's stderr until it says where it listens.
func listening(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if url, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
			go io.Copy(io.Discard, r)
			return strings.TrimSpace(url), nil
		}
	}
	return "", errors.New("the sandbox stopped before listening")
}

// requests returns the number of requests the sandbox has answered.
func requests(url string) (int64, error) {
	resp, err := http.Get(url + "/_sandbox/stats")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var st struct {
		Requests int64 `json:"requests"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return 0, fmt.Errorf("sandbox stats: %w", err)
	}
	return st.Requests, nil
}

// processCPU returns the user+sys CPU a running process has used (Linux).
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0, errors.New("unexpected /proc stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100, nil // USER_HZ
}

// manifestRows returns the rows the export's MANIFEST.json counts, once per
// table (the Parquet files' rows: every format holds the same).
func manifestRows(out string) (int64, error) {
	b, err := os.ReadFile(filepath.Join(out, "MANIFEST.json"))
	if err != nil {
		return 0, err
	}
	var m struct {
		Files []sinks.File `json:"files"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return 0, err
	}
	var byFormat = map[string]int64{}
	for _, f := range m.Files {
		format, _, _ := strings.Cut(f.Path, "/")
		byFormat[format] += f.Rows
	}
	var n int64
	for _, v := range byFormat {
		n = max(n, v)
	}
	return n, nil
}

func median(rs []result, f func(result) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	return v[len(v)/2]
}

func medianUsage(rs []result, f func(result) usage) usage {
	return usage{
		wall: time.Duration(median(rs, func(r result) float64 { return float64(f(r).wall) })),
		cpu:  time.Duration(median(rs, func(r result) float64 { return float64(f(r).cpu) })),
		rss:  int64(median(rs, func(r result) float64 { return float64(f(r).rss) })),
	}
}
