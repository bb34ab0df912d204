package cli_test

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The fault matrix: the whole export, through the binary, against a sandbox
// misbehaving in one way per case, or disrupted (Ctrl-C, SIGKILL, a full
// disk) and then run again. Every case must end with exactly the data of a
// clean run (every CSV file byte for byte: the same rows in the same order),
// no partial file, a manifest that verifies, and the documented exit code
// for the first run.

// matrixHistory is the short history every case exports.
var matrixHistory = []string{"--since", "2024-01-01", "--until", "2024-01-14", "--page-size", "200"}

type disruption int

const (
	none     disruption = iota
	sigint              // Ctrl-C once the first data is stored: exit 130, then resume
	sigterm             // SIGTERM (a service manager stopping the job) the same way
	sigkill             // SIGKILL at random points until a run completes
	diskFull            // writes fail (file size limit): exit 1, then resume
)

type faultCase struct {
	name    string
	sandbox []string // sandbox flags beyond matrixHistory
	args    []string // export flags beyond the common ones
	disrupt disruption
	code    int // the first run's exit code
}

var faultMatrix = []faultCase{
	{name: "429 storm", sandbox: []string{"--faults", "429", "--fault-rate", "0.2"}},
	{name: "tight rate limit", sandbox: []string{"--rate-limit", "40/1s"}},
	{name: "5xx bursts", sandbox: []string{"--faults", "500,502,503", "--fault-rate", "0.3"}},
	{name: "connection resets", sandbox: []string{"--faults", "reset", "--fault-rate", "0.2"}},
	{name: "truncated bodies", sandbox: []string{"--faults", "truncate", "--fault-rate", "0.2"}},
	{name: "malformed JSON", sandbox: []string{"--faults", "malformed", "--fault-rate", "0.2"}},
	{name: "HTML answers", sandbox: []string{"--faults", "html", "--fault-rate", "0.2"}},
	{name: "slower than the timeout", sandbox: []string{"--faults", "slow", "--fault-rate", "0.1", "--slow-delay", "30s"},
		args: []string{"--request-timeout", "400ms"}},
	{name: "next_token loops", sandbox: []string{"--faults", "loop", "--fault-rate", "0.2"}},
	{name: "duplicates across pages", sandbox: []string{"--faults", "duplicate", "--fault-rate", "0.3"}},
	{name: "everything at once", sandbox: []string{"--faults", "429,500,502,503,reset,truncate,malformed,html,loop,duplicate", "--fault-rate", "0.1"}},
	{name: "disk full mid-write", disrupt: diskFull, code: 1},
	{name: "Ctrl-C", sandbox: []string{"--latency", "15ms"}, disrupt: sigint, code: 130},
	{name: "SIGTERM", sandbox: []string{"--latency", "15ms"}, disrupt: sigterm, code: 130},
	{name: "SIGKILL at random points", sandbox: []string{"--latency", "2ms"}, disrupt: sigkill},
}

func TestFaultMatrix(t *testing.T) {
	env := []string{"OURA_TOKEN=sandbox-token-1"}
	common := func(url, out string) []string {
		return []string{"export", "--api-url", url, "--out", out, "--quiet", "--until", "2024-01-14", "--workers", "3"}
	}
	clean := t.TempDir()
	if r := ouraexport(t, env, common(startSandbox(t, matrixHistory...), clean)...); r.code != 0 {
		t.Fatalf("clean export: exit %d: %s", r.code, r.stderr)
	}
	want := dataHashes(t, clean)

	for _, tc := range faultMatrix {
		t.Run(tc.name, func(t *testing.T) {
			if tc.disrupt == none || tc.disrupt == diskFull {
				t.Parallel()
			}
			url := startSandbox(t, append(append([]string{}, matrixHistory...), tc.sandbox...)...)
			out := filepath.Join(t.TempDir(), "out")
			args := append(common(url, out), tc.args...)
			var first result
			switch tc.disrupt {
			case none:
				first = ouraexport(t, env, args...)
			case diskFull:
				// The shell's file size limit makes every write past it fail
				// (EFBIG), as a full disk would.
				first = fileSizeLimited(t, env, 64, args)
			case sigint:
				first = interruptOnceStored(t, env, out, args, os.Interrupt)
			case sigterm:
				first = interruptOnceStored(t, env, out, args, syscall.SIGTERM)
			case sigkill:
				first = killUntilDone(t, env, args)
			}
			if first.code != tc.code {
				t.Fatalf("first run: exit %d, want %d; stderr: %s", first.code, tc.code, first.stderr)
			}
			if first.code != 0 {
				if _, err := os.Stat(filepath.Join(out, "MANIFEST.json")); err == nil {
					t.Error("a failed run wrote a manifest")
				}
				if n := strings.Count(strings.TrimSpace(first.stderr), "\n"); n > 0 || strings.Contains(first.stderr, "goroutine ") {
					t.Errorf("the error is not one line: %q", first.stderr)
				}
				noPartialFiles(t, out)
				r := ouraexport(t, env, common(url, out)...)
				if r.code != 0 {
					t.Fatalf("resumed run: exit %d: %s", r.code, r.stderr)
				}
			}
			sameData(t, dataHashes(t, out), want)
			noPartialFiles(t, out)
			if r := ouraexport(t, nil, "verify", out); r.code != 0 {
				t.Errorf("verify: exit %d: %s%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// interruptOnceStored starts an export, sends sig (Ctrl-C's SIGINT, or
// SIGTERM) once the engine has stored its first fetched data, and returns
// what the run did.
func interruptOnceStored(t *testing.T, env []string, out string, args []string, sig os.Signal) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	segs := filepath.Join(out, ".ouraexport", "segments")
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	var err error
wait:
	for {
		select {
		case err = <-done:
			break wait // finished before any data was stored: the exit code check fails
		case <-tick.C:
			if stored(segs) {
				cmd.Process.Signal(sig)
				err = <-done
				break wait
			}
		}
	}
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	}
	if r.code == 130 && !strings.Contains(r.stderr, "run the same command again to resume") {
		t.Errorf("the message does not say how to resume: %s", r.stderr)
	}
	return r
}

// stored reports whether a segment file exists below dir.
func stored(dir string) bool {
	found := false
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".seg") {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

// killUntilDone runs the export again and again, each run killed (SIGKILL:
// no chance to clean up) at a random point, until one finishes; after
// maxKills kills the next run is left to finish, so the test does not
// depend on the machine's speed. It returns the run that finished.
func killUntilDone(t *testing.T, env []string, args []string) result {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, uint64(len(args))))
	kills := 0
	const maxKills = 12
	for {
		cmd := exec.Command(bin, args...)
		cmd.Env = append([]string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}, env...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		limit := time.After(time.Duration(100+rng.IntN(1400)) * time.Millisecond)
		if kills == maxKills {
			limit = nil // let this one finish
		}
		select {
		case err := <-done:
			r := result{stderr: stderr.String()}
			if ee, ok := err.(*exec.ExitError); ok {
				r.code = ee.ExitCode()
			}
			t.Logf("finished after %d kills", kills)
			return r
		case <-limit:
			cmd.Process.Kill()
			<-done
			kills++
		}
	}
}

// fileSizeLimited runs the binary under a file size limit of blocks (of 512
// or 1024 bytes, as the shell counts them): a write past it fails with
// EFBIG, as on a full disk.
func fileSizeLimited(t *testing.T, env []string, blocks int, args []string) result {
	t.Helper()
	cmd := exec.Command("/bin/sh", append([]string{"-c", "ulimit -f " + strconv.Itoa(blocks) + ` && exec "$0" "$@"`, bin}, args...)...)
	cmd.Env = append([]string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}
