package cli

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ouraexport/ouraexport/internal/sandbox"
	"github.com/ouraexport/ouraexport/sinks"
)

// driftSandbox starts an in-process sandbox over loopback with a short
// history, and returns it, its URL and a token file of user n.
func driftSandbox(t *testing.T, n int, mod func(*sandbox.Options)) (*sandbox.Server, string, string) {
	t.Helper()
	since, _ := sandbox.ParseDate("2024-02-25")
	until, _ := sandbox.ParseDate("2024-03-05")
	o := sandbox.Options{Users: 2, Since: since, Until: until, NoGzip: true}
	if mod != nil {
		mod(&o)
	}
	srv, err := sandbox.New(o)
	if err != nil {
		t.Fatal(err)
	}
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	tok := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tok, []byte(srv.Token(n)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("OURA_TOKEN", "")
	return srv, base, tok
}

// TestExportKeepsDrift exports from a sandbox that serves fields no model
// has and a collection no spec has, asked for by route name beside all the
// others: exit 0, the archive keeps every document as served (the extra
// collection's too), the extra column keeps the new fields, and the
// summary and manifest say what was kept raw.
func TestExportKeepsDrift(t *testing.T) {
	srv, base, tok := driftSandbox(t, 1, func(o *sandbox.Options) {
		o.ExtraFields, o.ExtraCollections = true, []string{"daily_drift"}
	})
	out := filepath.Join(t.TempDir(), "export")
	stdout, stderr, err := run("export", "--api-url", base, "--token-file", tok, "--out", out, "--collections", "all,daily_drift", "--quiet=false")
	if err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "daily_drift is not a collection this version of ouraexport models") {
		t.Errorf("no note on daily_drift before the export: %s", stderr)
	}
	if !strings.Contains(stdout, "not modelled: kept raw in the archive's raw/daily_drift.ndjson") {
		t.Errorf("the summary does not say daily_drift was kept raw:\n%s", stdout)
	}
	raw := archiveEntries(t, out, "raw/")
	from, _ := time.Parse(time.DateOnly, "2024-02-25")
	to, _ := time.Parse(time.DateOnly, "2024-03-06")
	for _, coll := range []string{"daily_drift", "daily_sleep", "workout"} {
		var want []string
		for doc, err := range srv.Documents(1, coll, from, to) {
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, string(doc))
		}
		if got := raw[coll]; len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("raw/%s.ndjson: %d documents, the sandbox served %d", coll, len(got), len(want))
		}
	}
	// The new fields of each document are in its row's extra column.
	rows := readCSV(t, filepath.Join(out, "csv", "daily_sleep.csv"))
	if len(rows) < 2 {
		t.Fatal("no daily_sleep rows")
	}
	extra := slices.Index(rows[0], "extra")
	for _, r := range rows[1:] {
		var e map[string]any
		if err := json.Unmarshal([]byte(r[extra]), &e); err != nil || e["x_drift_note"] == nil || e["x_drift_detail"] == nil {
			t.Fatalf("daily_sleep row's extra %q lacks the drift fields (%v)", r[extra], err)
		}
	}
	man, err := sinks.ReadManifest(mustLocal(t, out))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(man.Notes, func(n string) bool { return strings.HasPrefix(n, "daily_drift is not modelled") }) {
		t.Errorf("manifest notes %q", man.Notes)
	}
	// A typo is not taken for a new collection.
	if _, _, err := run("export", "--api-url", base, "--token-file", tok, "--out", out, "--collections", "daily_slep"); !isUsage(err) ||
		!strings.Contains(err.Error(), `did you mean "daily_sleep"`) {
		t.Errorf("--collections daily_slep: %v", err)
	}
}

// TestExportWithoutOptionalScope exports with a login that lacks the
// reproductive_cycle scope (and interbeat_interval's): everything else is
// exported, the exit status is 0, and the summary, the manifest and the
// dry run's doctor table name what is missing and what the scope would
// add. Asked for by name, the collection is no longer optional: exit 3.
func TestExportWithoutOptionalScope(t *testing.T) {
	var scopes []string
	for _, s := range sandbox.Scopes {
		if s != "reproductive_cycle" && s != "interbeat_interval" {
			scopes = append(scopes, s)
		}
	}
	_, base, tok := driftSandbox(t, 2, func(o *sandbox.Options) { o.Scopes = scopes })
	out := filepath.Join(t.TempDir(), "export")
	stdout, stderr, err := run("export", "--api-url", base, "--token-file", tok, "--out", out, "--format", "csv")
	if err != nil {
		t.Fatalf("export: %v, want exit 0\n%s", err, stderr)
	}
	for _, want := range []string{"daily_cycle_phases", "not exported: the login lacks the reproductive_cycle scope (HTTP 403); with it the export would add the table daily_cycle_phases"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "incomplete") {
		t.Errorf("the summary calls something incomplete:\n%s", stdout)
	}
	man, err := sinks.ReadManifest(mustLocal(t, out))
	if err != nil {
		t.Fatal(err)
	}
	if notes := strings.Join(man.Notes, "\n"); !strings.Contains(notes, "daily_cycle_phases was not exported: the login lacks the reproductive_cycle scope") ||
		!strings.Contains(notes, "interbeat_interval was not exported") {
		t.Errorf("manifest notes %q", man.Notes)
	}
	if rows := readCSV(t, filepath.Join(out, "csv", "daily_sleep.csv")); len(rows) < 5 {
		t.Errorf("daily_sleep: %d rows", len(rows))
	}

	plan, stderr, err := run("export", "--api-url", base, "--token-file", tok, "--out", filepath.Join(t.TempDir(), "plan"), "--dry-run")
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, stderr)
	}
	for _, want := range []string{"What the login's scopes unlock:", "reproductive_cycle  no ", "daily_cycle_phases (optional: not exported;",
		"interbeat_interval  no ", "The token does not say which scopes it holds"} {
		if !strings.Contains(plan, want) {
			t.Errorf("dry run lacks %q:\n%s", want, plan)
		}
	}

	_, _, err = run("export", "--api-url", base, "--token-file", tok, "--out", filepath.Join(t.TempDir(), "asked"), "--format", "csv",
		"--collections", "daily_cycle_phases,daily_sleep")
	if !errors.Is(err, ErrPartial) || !strings.Contains(err.Error(), "daily_cycle_phases") {
		t.Errorf("asked for by name: %v, want partial", err)
	}
}

// TestLoginTokenEndpointFallback logs in where only one of the two token
// endpoints knows the app, starting at the other: the portal's 401 (or the
// legacy one's 400) makes the login fall back, say so, keep the endpoint
// that worked, and auth status names it; exports renew the login there.
func TestLoginTokenEndpointFallback(t *testing.T) {
	cases := []struct {
		knows, start, want, name string
	}{
		{sandbox.TokenLegacy, "/oauth/v2/ext/oauth-token", "/oauth/token", "legacy"},
		{sandbox.TokenPortal, "", "/oauth/v2/ext/oauth-token", "developer portal"},
	}
	for _, c := range cases {
		t.Run(c.knows, func(t *testing.T) {
			w := newOAuthWorld(t, func(o *sandbox.Options) { o.TokenEndpoint = c.knows; o.TokenTTL = time.Second })
			var extra []string
			if c.start != "" {
				extra = []string{"--token-url", w.url + c.start}
			}
			out := w.login(t, extra...)
			if !strings.Contains(out, "answered as if it did not know the app; the "+c.name+" one, "+w.url+c.want+", accepted it") {
				t.Errorf("login said:\n%s", out)
			}
			if got := w.stored(t).TokenURL; got != w.url+c.want {
				t.Errorf("the login keeps %s, want %s", got, w.url+c.want)
			}
			status, _, err := run("auth", "status")
			if err != nil || !strings.Contains(status, "token endpoint "+w.url+c.want+", the "+c.name+" one") {
				t.Errorf("status (%v):\n%s", err, status)
			}
			js, _, _ := run("auth", "status", "--json")
			var rep statusReport
			if err := json.Unmarshal([]byte(js), &rep); err != nil || rep.TokenEndpoint != c.name {
				t.Errorf("status --json: %v, token_endpoint %q", err, rep.TokenEndpoint)
			}
			time.Sleep(1100 * time.Millisecond) // the access token expires: the export renews it
			if _, stderr, err := run("export", "--api-url", w.url, "--out", filepath.Join(t.TempDir(), "e"), "--format", "csv", "--collections", "daily_sleep"); err != nil {
				t.Errorf("export after the fallback: %v\n%s", err, stderr)
			}
			if got := w.stored(t); got.TokenURL != w.url+c.want || got.Refreshes == 0 {
				t.Errorf("after the export the login uses %s, %d refreshes", got.TokenURL, got.Refreshes)
			}
		})
	}
}

// TestStatusDoctor shows a login's scope table: granted scopes, what they
// unlock, what is left out; scopes may be spelled with the extapi: prefix.
func TestStatusDoctor(t *testing.T) {
	w := newOAuthWorld(t, nil)
	w.login(t, "--scopes", "extapi:daily,extapi:heartrate,personal")
	out, _, err := run("auth", "status")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"daily               yes", "heartrate           yes", "heart_health        no ",
		"daily_resilience (403: the export will be partial)", "reproductive_cycle  no ", "daily_cycle_phases (optional: not exported;",
		"To add a scope, log in again"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	js, _, _ := run("auth", "status", "--json")
	var rep statusReport
	if err := json.Unmarshal([]byte(js), &rep); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(rep.Unlocked, "heartrate") || !slices.Contains(rep.Unlocked, "ring_configuration") ||
		!slices.Contains(rep.Locked, "daily_cycle_phases") || slices.Contains(rep.Locked, "sleep") {
		t.Errorf("unlocked %v, locked %v", rep.Unlocked, rep.Locked)
	}
	// An unknown scope is asked for anyway, with a note (the sandbox refuses it).
	_, stderr, err := run("auth", "login", "--api-url", w.url, "--client-id", sandbox.ClientID, "--scopes", "daily,meal")
	if err == nil || !strings.Contains(stderr, "scope meal is not in ouraexport's scope table") {
		t.Errorf("login with an unknown scope: %v\n%s", err, stderr)
	}
}

// TestSpecCheck compares a newer document (the fixture of openapi-1.35,
// edited as a later version might be) with the one ouraexport was built
// from; a malformed document is one line and exit 2.
func TestSpecCheck(t *testing.T) {
	b, err := os.ReadFile("../../testdata/oura/openapi-min.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	paths := doc["paths"].(map[string]any)
	paths["/v2/usercollection/daily_cycle_phases"] = paths["/v2/usercollection/daily_stress"]
	paths["/v2/usercollection/meal"] = paths["/v2/usercollection/daily_stress"]
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	schemas["PublicDailyStress"].(map[string]any)["properties"].(map[string]any)["stress_peak"] = map[string]any{"type": "integer"}
	flow := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)["OAuth2"].(map[string]any)["flows"].(map[string]any)["authorizationCode"].(map[string]any)
	flow["scopes"].(map[string]any)["reproductive_cycle"] = "Cycle Insights"
	flow["scopes"].(map[string]any)["metabolism"] = "Meals"
	newer, _ := json.Marshal(doc)
	file := filepath.Join(t.TempDir(), "openapi-1.41.json")
	if err := os.WriteFile(file, newer, 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := run("spec", "check", "--spec", file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Compared openapi-1.41.json (info.version 2.0) with openapi-1.35.json (info.version 2.0), which ouraexport was built from.",
		"exported into table daily_cycle_phases",
		"not modelled yet: export it raw with --collections all,meal",
		"stress_peak (integer)", "kept in the extra column (JSON) of table daily_stress",
		"reproductive_cycle", "in ouraexport's scope table",
		"metabolism", "not in ouraexport's scope table",
		"none stops an export",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("spec check lacks %q:\n%s", want, out)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, newer[:len(newer)/3], 0o600)
	for _, args := range [][]string{{"--spec", bad}, {"--spec", filepath.Join(t.TempDir(), "missing.json")}} {
		_, _, err := run(append([]string{"spec", "check"}, args...)...)
		if !errors.Is(err, ErrBadInput) || strings.Contains(err.Error(), "\n") {
			t.Errorf("spec check %v: %v, want one line of bad input", args, err)
		}
	}
	if out, _, err := run("spec", "check"); err != nil || !strings.Contains(out, "was built from openapi-1.35.json") {
		t.Errorf("spec check without --spec: %v\n%s", err, out)
	}
	if _, _, err := run("spec"); !isUsage(err) {
		t.Errorf("spec without check: %v", err)
	}
}

func isUsage(err error) bool {
	var ue *UsageError
	return errors.As(err, &ue)
}

func mustLocal(t *testing.T, dir string) sinks.Dir {
	t.Helper()
	d, err := sinks.LocalDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// archiveEntries reads the archive's entries below prefix, line by line,
// by name without the prefix and .ndjson.
func archiveEntries(t *testing.T, out, prefix string) map[string][]string {
	t.Helper()
	zr, err := zip.OpenReader(filepath.Join(out, "archive", "oura-export.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	got := map[string][]string{}
	for _, f := range zr.File {
		name, ok := strings.CutPrefix(f.Name, prefix)
		if !ok {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(rc)
		sc.Buffer(nil, 64<<20)
		name = strings.TrimSuffix(name, ".ndjson")
		for sc.Scan() {
			got[name] = append(got[name], sc.Text())
		}
		rc.Close()
	}
	return got
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestSandboxDriftFlags runs the sandbox command with the flags of issue
// 16: fields and a collection no model has, a per-application rate limit,
// and a token endpoint that knows the client alone; bad values are usage
// errors.
func TestSandboxDriftFlags(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- runSandbox(ctx, []string{"--addr", "127.0.0.1:0", "--since", "2024-03-01", "--until", "2024-03-10",
			"--extra-fields", "--extra-collection", "daily_drift", "--extra-collection", "meal",
			"--app-rate-limit", "3/1m", "--token-endpoint", "portal", "--scopes", "extapi:daily"}, Streams{Out: io.Discard, Err: pw})
		pw.Close()
	}()
	base := waitListening(t, pr)
	for _, coll := range []string{"daily_drift", "meal"} {
		status, body := sandboxGet(t, base+"/v2/usercollection/"+coll+"?start_date=2024-03-01&end_date=2024-03-10")
		if status != 200 || !strings.Contains(body, `"x_drift_note"`) || !strings.Contains(body, `"day":"2024-03-05"`) {
			t.Errorf("%s: %d %.200s", coll, status, body)
		}
	}
	if status, _ := sandboxGet(t, base+"/v2/usercollection/heartrate"); status != 403 {
		t.Errorf("heartrate with --scopes extapi:daily: %d", status)
	}
	status, body := sandboxGet(t, base+"/v2/usercollection/daily_sleep") // the 4th request of the client
	if status != 429 || !strings.Contains(body, "Application request rate limit") {
		t.Errorf("over --app-rate-limit: %d %s", status, body)
	}
	resp, err := http.PostForm(base+"/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"},
		"client_id": {sandbox.ClientID}, "client_secret": {sandbox.ClientSecret}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("the legacy endpoint with --token-endpoint portal: %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("sandbox: %v", err)
	}
	for _, bad := range [][]string{{"--token-endpoint", "moi"}, {"--app-rate-limit", "fast"}, {"--extra-collection", "sleep"}, {"--scopes", "meal"}} {
		if err := runSandbox(context.Background(), append([]string{"--addr", "127.0.0.1:0"}, bad...), Streams{Out: io.Discard, Err: io.Discard}); !isUsage(err) {
			t.Errorf("sandbox %v: %v, want a usage error", bad, err)
		}
	}
}
