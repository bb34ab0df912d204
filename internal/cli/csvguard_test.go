package cli

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCSVFormulaGuard: text that a spreadsheet would run as a formula (=,
// +, -, @ at the start) is written to the CSV files with a single quote
// before it, numbers never are (a negative number stays a number), the
// archive keeps every value as it is, and importing the archive gives back
// the same outputs, byte for byte.
func TestCSVFormulaGuard(t *testing.T) {
	dir := t.TempDir()
	tags := filepath.Join(dir, "oura_tag_2024-01-10T08-00-00.csv")
	os.WriteFile(tags, []byte("id,day,text,timestamp,tags\r\n"+
		`t1,2024-01-05,"=HYPERLINK(""http://evil.example"",""click"")",2024-01-05T10:00:00+02:00,"[""x""]"`+"\r\n"+
		"t2,2024-01-06,-5 kg,2024-01-06T10:00:00+02:00,[]\r\n"+
		"t3,2024-01-07,@SUM(A1),2024-01-07T10:00:00+02:00,[]\r\n"+
		"t4,2024-01-08,+1 coffee,2024-01-08T10:00:00+02:00,[]\r\n"+
		"t5,2024-01-09,'quoted,2024-01-09T10:00:00+02:00,[]\r\n"), 0o600)
	readiness := filepath.Join(dir, "oura_daily_readiness_2024-01-10T08-00-00.csv")
	os.WriteFile(readiness, []byte("id,day,score,temperature_deviation,timestamp\r\nr1,2024-01-05,80,-0.35,2024-01-05T00:00:00+00:00\r\n"), 0o600)

	first := filepath.Join(dir, "first")
	if msg, err := runCmd(t, "import", tags, readiness, "--out", first, "--format", "csv,archive"); err != nil {
		t.Fatalf("%v\n%s", err, msg)
	}
	csv, _ := os.ReadFile(filepath.Join(first, "csv", "tag.csv"))
	for _, want := range []string{`"'=HYPERLINK(""http://evil.example"",""click"")"`, ",'-5 kg,", ",'@SUM(A1),", ",'+1 coffee,", ",''quoted,"} {
		if !strings.Contains(string(csv), want) {
			t.Errorf("tag.csv lacks %s:\n%s", want, csv)
		}
	}
	rd, _ := os.ReadFile(filepath.Join(first, "csv", "daily_readiness.csv"))
	if !strings.Contains(string(rd), ",-0.35,") || strings.Contains(string(rd), "'-") {
		t.Errorf("a negative number was guarded:\n%s", rd)
	}
	data := archiveEntry(t, filepath.Join(first, "archive", "oura-export.zip"), "data/tag.ndjson")
	for _, want := range []string{`"text":"=HYPERLINK(\"http://evil.example\",\"click\")"`, `"text":"-5 kg"`, `"text":"'quoted"`} {
		if !strings.Contains(data, want) {
			t.Errorf("the archive does not hold %s as it is:\n%s", want, data)
		}
	}
	if msg, err := runCmd(t, "verify", first); err != nil {
		t.Errorf("verify: %v\n%s", err, msg)
	}

	again := filepath.Join(dir, "again")
	if msg, err := runCmd(t, "import", filepath.Join(first, "archive", "oura-export.zip"), "--out", again, "--format", "csv,archive"); err != nil {
		t.Fatalf("%v\n%s", err, msg)
	}
	for _, table := range []string{"tag", "daily_readiness"} {
		a, _ := os.ReadFile(filepath.Join(first, "csv", table+".csv"))
		b, _ := os.ReadFile(filepath.Join(again, "csv", table+".csv"))
		if !bytes.Equal(a, b) {
			t.Errorf("%s.csv after the archive's round trip:\n%s\nwant\n%s", table, b, a)
		}
	}
	if got := archiveEntry(t, filepath.Join(again, "archive", "oura-export.zip"), "data/tag.ndjson"); got != data {
		t.Errorf("data/tag.ndjson after the round trip:\n%s\nwant\n%s", got, data)
	}
}

// archiveEntry returns an entry of a zip.
func archiveEntry(t *testing.T, path, name string) string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name == name {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
	t.Fatalf("%s has no %s", path, name)
	return ""
}
