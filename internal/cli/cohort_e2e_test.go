package cli_test

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/sinks/s3/s3test"
)

// TestCohortKilledAndResumed kills a cohort export into S3 (SIGKILL: no
// chance to clean up) again and again until a run finishes; the result must
// be an uninterrupted export's, verify must pass, and no spool file may stay.
func TestCohortKilledAndResumed(t *testing.T) {
	url := startSandbox(t, "--users", "3", "--since", "2024-02-26", "--until", "2024-03-10", "--page-size", "40", "--latency", "2ms")
	srv := s3test.Start(t)
	srv.Bucket(t, "exports")
	env := []string{"AWS_ENDPOINT_URL=" + srv.Endpoint, "AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=" + s3test.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s3test.SecretKey}
	dir := t.TempDir()
	var lines []string
	for _, u := range []string{"1", "2", "3"} {
		os.WriteFile(filepath.Join(dir, "p"+u), []byte("sandbox-token-"+u+"\n"), 0o600)
		lines = append(lines, "p"+u+" p"+u)
	}
	accounts := filepath.Join(dir, "accounts.txt")
	os.WriteFile(accounts, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	args := func(out, state string) []string {
		return []string{"export", "--api-url", url, "--accounts", accounts, "--out", out, "--state", state,
			"--format", "csv,parquet", "--quiet", "--until", "2024-03-10",
			"--collections", "personal_info,daily_sleep,sleep,daily_activity,heartrate"}
	}
	if r := ouraexport(t, env, args("s3://exports/whole", t.TempDir())...); r.code != 0 {
		t.Fatalf("uninterrupted export: exit %d: %s", r.code, r.stderr)
	}
	// Up to five runs killed at random points, then one left to finish:
	// however fast the machine, the last run resumes what the killed ones
	// left (state, spool files, half-written objects).
	state := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	kills, finished := 0, false
	for range 5 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(100+rng.IntN(1400))*time.Millisecond)
		cmd := exec.CommandContext(ctx, bin, args("s3://exports/killed", state)...)
		cmd.Env = append(os.Environ(), env...)
		err := cmd.Run() // the context's end kills it (SIGKILL)
		killed := ctx.Err() != nil
		cancel()
		if !killed {
			if err != nil {
				t.Fatalf("export after %d kills: %v", kills, err)
			}
			finished = true
			break
		}
		kills++
	}
	if !finished {
		if r := ouraexport(t, env, args("s3://exports/killed", state)...); r.code != 0 {
			t.Fatalf("export after %d kills: exit %d: %s", kills, r.code, r.stderr)
		}
	}
	if kills == 0 {
		t.Log("the export finished before the first kill; the test proved less than it should")
	}
	t.Logf("finished after %d kills", kills)
	csv := func(prefix string) map[string]string {
		out := map[string]string{}
		for k, v := range srv.Objects(t, "exports", prefix) {
			if strings.HasSuffix(k, ".csv") {
				out[strings.TrimPrefix(k, prefix)] = string(v)
			}
		}
		if len(out) == 0 {
			t.Fatalf("no CSV objects below %s", prefix)
		}
		return out
	}
	got, want := csv("killed/"), csv("whole/")
	if len(got) != len(want) {
		t.Errorf("%d CSV files, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s differs from an uninterrupted export", k)
		}
	}
	if r := ouraexport(t, env, "verify", "s3://exports/killed"); r.code != 0 {
		t.Errorf("verify after resume: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	filepath.Walk(filepath.Join(state, "ouraexport-s3-spool"), func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			t.Errorf("spool file left behind: %s", p)
		}
		return nil
	})
	// A changed object: verify fails (exit 1) and names it.
	const key = "killed/participant=p2/csv/daily_sleep/year=2024/part-0.csv"
	b := []byte(got["participant=p2/csv/daily_sleep/year=2024/part-0.csv"])
	b[len(b)-3] ^= 1
	srv.Put(t, "exports", key, b)
	if r := ouraexport(t, env, "verify", "s3://exports/killed"); r.code != 1 || !strings.Contains(r.stdout, "participant=p2/csv/daily_sleep/year=2024/part-0.csv") {
		t.Errorf("verify after a change: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
}
