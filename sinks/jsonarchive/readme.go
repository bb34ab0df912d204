package jsonarchive

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ouraexport/ouraexport/sinks"
)

// fileOf returns the manifest entry of an in-memory file.
func fileOf(name string, body []byte, rows int64) sinks.File {
	sum := sha256.Sum256(body)
	return sinks.File{Path: name, Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:]), Rows: rows}
}

// readme writes the archive's README.md: the answers a person (or a data
// protection officer) needs about this copy of their data.
func readme(meta sinks.Meta, archive string, tables []*table, entries []*entry) []byte {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	p("# Oura Ring data: a personal copy\n\n")
	p("This archive is a copy of the personal data that Oura's cloud holds about one person: what the Oura Ring\n")
	p("and the Oura app recorded about their sleep, activity, readiness, heart rate and more. It was taken out\n")
	p("by ouraexport %s on %s (UTC), with that person's own access.\n\n", meta.ToolVersion, meta.ExportedAt.UTC().Format(time.DateTime))

	p("## About whom\n\n")
	subj := meta.Subject
	if subj.ID == "" && subj.Email == "" && subj.Account == "" {
		p("The export does not record who the person is; it holds the data of the account whose access was used.\n\n")
	} else {
		if subj.ID != "" {
			p("- Oura user id: %s\n", subj.ID)
		}
		if subj.Email != "" {
			p("- E-mail address of the account: %s\n", subj.Email)
		}
		if subj.Account != "" {
			p("- Account label in this export run: %s\n", subj.Account)
		}
		p("\n")
	}

	p("## Which period\n\n")
	since, until := meta.Period.Since, meta.Period.Until
	if since == "" {
		since = "the first day Oura holds data for"
	}
	if until == "" {
		until = "the day of the export"
	}
	p("From %s to %s, both days included, on the person's own calendar.\n\n", since, until)

	p("## Where the data came from\n\n")
	if len(meta.Sources) == 0 {
		p("The sources were not recorded.\n")
	}
	for _, src := range meta.Sources {
		p("- %s", src.Name)
		if src.URL != "" {
			p(" (%s)", src.URL)
		}
		if len(src.Collections) > 0 {
			p(": %s", strings.Join(src.Collections, ", "))
		}
		p("\n")
	}
	p("\n")
	if len(meta.Counts) > 0 {
		p("Documents received, per collection:\n\n| Collection | Documents |\n|---|---:|\n")
		names := make([]string, 0, len(meta.Counts))
		for n := range meta.Counts {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			p("| %s | %d |\n", n, meta.Counts[n])
		}
		p("\n")
	}

	p("## What is inside\n\n| Entry | What it holds | Records |\n|---|---|---:|\n")
	p("| %s | this text | |\n", ReadmeName)
	p("| %s | the size, SHA-256 digest and record count of every other entry; tool, schema version, subject, period and sources, for programs | |\n", ManifestName)
	docs := make(map[string]string, len(tables))
	for _, t := range tables {
		docs[t.entry.name] = oneLine(t.t.Doc)
	}
	for _, e := range entries {
		what := docs[e.name]
		if strings.HasPrefix(e.name, "raw/") {
			coll := strings.TrimSuffix(strings.TrimPrefix(e.name, "raw/"), ".ndjson")
			what = "the documents of the " + coll + " collection, exactly as received"
		}
		p("| %s | %s | %d |\n", e.name, what, e.records)
	}
	p("\n")

	p("## How it was processed\n\n")
	p("- `raw/` holds every document exactly as the source sent it, one JSON document per line (NDJSON). A document\n")
	p("  that arrived with line breaks in it was compacted to fit on one line: the white space between its JSON\n")
	p("  tokens was removed, nothing else changed.\n")
	p("- `data/` holds the same records mapped onto ouraexport's unified schema, version %d: one JSON object per line,\n", meta.SchemaVersion)
	p("  one key per column. Days are `YYYY-MM-DD` on the person's local calendar. Instants are RFC 3339 times in\n")
	p("  UTC (ending in `Z`); the offset from UTC they were recorded with is kept, in minutes east of UTC, in the\n")
	p("  column of the same name ending in `_utc_offset`, so local clock times can be recovered. `null` marks a\n")
	p("  value that is absent. Nested structures the schema does not split into columns are embedded as JSON.\n")
	p("  Numbers that have no JSON form are written as the strings \"NaN\", \"Infinity\" and \"-Infinity\".\n")
	p("  Series of samples (heart rate every 5 minutes, hypnograms, ...) are tables of their own that join back to\n")
	p("  their parent record by its id. Fields the schema does not know are kept, as JSON, in an `extra` column.\n")
	p("- Nothing was removed because it looked wrong: values are as the source gave them.\n\n")

	p("## How to check that it is complete and unchanged\n\n")
	p("Run `ouraexport verify %s`: it re-reads every entry and compares its size, SHA-256 digest and record\n", archive)
	p("count with %s. Without ouraexport, unzip the archive and compare the output of `sha256sum` (or\n", ManifestName)
	p("`shasum -a 256`) for each file with the digests listed in %s.\n\n", ManifestName)

	p("## Your rights\n\n")
	p("Under the EU General Data Protection Regulation (GDPR), Article 15 gives a person the right to a copy of the\n")
	p("personal data a company processes about them, and to know where the data came from; Article 20 gives them\n")
	p("the right to receive the data they provided in a structured, commonly used and machine-readable format and\n")
	p("to pass it on to another service. This archive is such a copy in such a format: plain JSON, described field\n")
	p("by field below, with a machine-readable manifest. It was made with the person's own access to Oura's API,\n")
	p("not by Oura: for what only Oura can say (the purposes of processing, recipients, retention periods), ask\n")
	p("Oura's data protection officer as its privacy policy describes. Health data is a special category of\n")
	p("personal data (GDPR Article 9): keep this archive as safe as the data deserves.\n\n")

	if len(meta.Notes) > 0 {
		p("## Notes\n\n")
		for _, n := range meta.Notes {
			p("- %s\n", oneLine(n))
		}
		p("\n")
	}

	p("## Data dictionary\n\n")
	p("Each table of `data/`, its columns, their type, unit and meaning.\n")
	for _, t := range tables {
		p("\n### %s\n\n", t.t.Name)
		if t.t.Doc != "" {
			p("%s\n\n", oneLine(t.t.Doc))
		}
		if t.t.Parent != "" {
			p("Joins to `%s` by `%s_id`.\n\n", t.t.Parent, t.t.Parent)
		}
		p("| Column | Type | Unit | Meaning |\n|---|---|---|---|\n")
		for _, c := range t.t.Columns {
			typ := c.Type.String()
			if c.TZ != "" {
				typ += " (" + c.TZ + ")"
			}
			if !c.Required {
				typ += ", may be null"
			}
			p("| %s | %s | %s | %s |\n", c.Name, typ, c.Unit, oneLine(c.Doc))
		}
	}
	return []byte(b.String())
}

// oneLine makes s fit in a Markdown table cell or list item.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "|", `\|`)
}
