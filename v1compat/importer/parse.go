package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/schema"
	"github.com/ouraexport/ouraexport/v1compat"
)

// emitter receives the documents read from a file.
type emitter interface {
	emit(c *exporter.Collection, doc []byte, line int) error
}

// The kinds of files, as the import reports them.
const (
	KindTrends    = "Oura Cloud trends CSV"
	KindCloudJSON = "Oura Cloud JSON (v1 records)"
	KindWebCSV    = "Oura on the Web CSV download"
	KindWebJSON   = "Oura on the Web JSON download"
	KindHubCSV    = "Membership Hub export CSV"
	KindAPIJSON   = "Oura API response"
	KindArchive   = "ouraexport archive"
	KindOutput    = "ouraexport output (skipped: import the archive instead)"
	KindUnknown   = "unrecognised"
	KindEmpty     = "empty (skipped)"
	KindNotFile   = "not a regular file"
)

// Readable names the kinds of files the import reads, for messages.
const Readable = "Oura Cloud JSON downloads and saved API v1 answers, Oura Cloud trends CSV files (every era), " +
	"Oura on the Web downloads (CSV or JSON), Membership Hub export zips and ouraexport archives"

// errUnknown says the content is of no kind the import reads.
var errUnknown = errors.New("unknown content")

// sniff tells what a file's first bytes are: "zip", "json", "csv" or "".
func sniff(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")) || bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return "zip"
	}
	t := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(t) == 0 {
		return ""
	}
	if t[0] == '{' || t[0] == '[' {
		return "json"
	}
	line := t
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	if bytes.IndexByte(line, 0) < 0 && (bytes.ContainsAny(line, ",;\t")) {
		return "csv"
	}
	return ""
}

// parseCSV reads a CSV file of any kind the import knows; errUnknown
// when it is none of them.
func parseCSV(r io.Reader, out emitter) (string, error) {
	f, err := openCSV(textReader(r))
	if err != nil {
		return "", err
	}
	switch {
	case isOutputHeader(f.header):
		return KindOutput, nil
	case isBedtimeHeader(f.header):
		return KindWebCSV, parseBedtimeCSV(f, out)
	case isTrendsHeader(f.header):
		return KindTrends, parseTrends(f, out)
	}
	first, line, err := f.next()
	if err == io.EOF {
		first = nil
	} else if err != nil {
		return "", err
	}
	var sample map[string]json.RawMessage
	if first != nil {
		sample = map[string]json.RawMessage{}
		for i, v := range first {
			if t := strings.TrimSpace(v); strings.HasPrefix(t, "{") && json.Valid([]byte(t)) {
				sample[f.header[i]] = json.RawMessage(t)
			}
		}
	}
	p, ok := match(f.header, sample)
	if !ok {
		return "", errUnknown
	}
	kind := KindWebCSV
	if f.comma == ';' {
		kind = KindHubCSV
	}
	c := importV2(p.coll)
	for rec := first; rec != nil; {
		if !allBlank(rec) {
			if err := out.emit(c, p.row(f.header, rec), line); err != nil {
				return kind, err
			}
		}
		rec, line, err = f.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return kind, err
		}
	}
	return kind, nil
}

// isOutputHeader reports whether a header is that of a unified table (a
// CSV file ouraexport wrote).
func isOutputHeader(header []string) bool {
	for _, t := range schema.Tables() {
		if len(t.Columns) != len(header) {
			continue
		}
		same := true
		for i, c := range t.Columns {
			if c.Name != header[i] {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	return false
}

// isBedtimeHeader: the web's bedtime download (date, status,
// bedtime_window_start, bedtime_window_end), v1's ideal bedtimes.
func isBedtimeHeader(header []string) bool {
	has := map[string]bool{}
	for _, h := range header {
		has[strings.ToLower(strings.TrimSpace(h))] = true
	}
	return has["date"] && (has["bedtime_window_start"] || has["bedtime_window"])
}

// parseBedtimeCSV turns each row into a v1 bedtime record.
func parseBedtimeCSV(f *csvFile, out emitter) error {
	for {
		rec, line, err := f.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if allBlank(rec) {
			continue
		}
		doc := newObject()
		for i, h := range f.header {
			name := strings.ToLower(strings.TrimSpace(h))
			v := rec[i]
			switch name {
			case "date":
				d, ok := parseDay(v)
				if !ok {
					return atLine(line, "column %q: %q is not a date", h, v)
				}
				doc.set([]string{"date"}, quote(dayText(d)))
			case "bedtime_window_start", "bedtime_window_end":
				text := "null"
				if !blank(v) {
					if n, ok := intText(v); ok {
						text = n
					} else {
						text = quote(v)
					}
				}
				doc.set([]string{"bedtime_window", strings.TrimPrefix(name, "bedtime_window_")}, text)
			case "bedtime_window":
				if t := strings.TrimSpace(v); json.Valid([]byte(t)) {
					doc.set([]string{"bedtime_window"}, compactJSON(t))
				} else if !blank(v) {
					doc.set([]string{"bedtime_window"}, quote(v))
				}
			case "status":
				if !blank(v) {
					doc.set([]string{"status"}, quote(strings.TrimSpace(v)))
				}
			default:
				if h != "" && strings.TrimSpace(v) != "" {
					doc.set([]string{h}, quote(v))
				}
			}
		}
		if err := out.emit(importV1(v1compat.Bedtime), doc.bytes(), line); err != nil {
			return err
		}
	}
}

// parseJSON reads a JSON file (or JSON lines) of any kind the import
// knows. Parts it does not know are returned in rest, as a JSON object,
// for the caller to keep.
func parseJSON(b []byte, out emitter) (kind string, rest []byte, err error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	i := skipSpace(b, 0)
	end, err := skipValue(b, i)
	if err != nil {
		return "", nil, jsonError(b, i, "malformed JSON: the file may be cut short")
	}
	if err := checkJSON(b, i, end); err != nil {
		return "", nil, err
	}
	if j := skipSpace(b, end); j < len(b) {
		return KindAPIJSON, nil, parseLines(b, out)
	}
	if b[i] == '[' {
		items, _, err := arrayItems(b, i)
		if err != nil {
			return "", nil, jsonError(b, i, "malformed JSON array")
		}
		k, err := emitRecords(b, "", items, out)
		if err == errUnknown {
			return "", nil, errUnknown
		}
		return k, nil, err
	}
	ms, _, err := objectMembers(b, i)
	if err != nil {
		return "", nil, jsonError(b, i, "malformed JSON object")
	}
	var datasets, others []jsonMember
	for _, m := range ms {
		if m.val[0] == '[' && datasetName(m.key) != "" {
			datasets = append(datasets, m)
		} else {
			others = append(others, m)
		}
	}
	if len(datasets) == 0 {
		return parseBare(b, i, ms, out)
	}
	kind = ""
	for _, m := range datasets {
		items, _, err := arrayItems(b, m.off)
		if err != nil {
			return "", nil, jsonError(b, m.off, "malformed array %q", m.key)
		}
		k, err := emitRecords(b, m.key, items, out)
		if err == errUnknown {
			others = append(others, m)
			continue
		}
		if err != nil {
			return "", nil, err
		}
		if kind == "" || k == KindCloudJSON {
			kind = k
		}
	}
	if kind == "" {
		return "", nil, errUnknown
	}
	rest = membersJSON(others, func(m jsonMember) bool { return m.key != "next_token" || string(m.val) != "null" })
	return kind, rest, nil
}

// membersJSON writes the members keep accepts as a JSON object, nil if none.
func membersJSON(ms []jsonMember, keep func(jsonMember) bool) []byte {
	var b []byte
	for _, m := range ms {
		if !keep(m) {
			continue
		}
		if b == nil {
			b = []byte{'{'}
		} else {
			b = append(b, ',')
		}
		b = append(b, quote(m.key)...)
		b = append(b, ':')
		b = append(b, m.val...)
	}
	if b == nil {
		return nil
	}
	return append(b, '}')
}

// parseLines reads JSON lines: one record per value.
func parseLines(b []byte, out emitter) error {
	var items []jsonMember
	for i := skipSpace(b, 0); i < len(b); i = skipSpace(b, i) {
		end, err := skipValue(b, i)
		if err != nil {
			return jsonError(b, i, "malformed JSON value: the file may be cut short")
		}
		if err := checkJSON(b, i, end); err != nil {
			return err
		}
		items = append(items, jsonMember{val: b[i:end], off: i})
		i = end
	}
	_, err := emitRecords(b, "", items, out)
	return err
}

// parseBare reads a file holding one object: v1 user info, v2 personal
// info, or one record of a v2 collection.
func parseBare(b []byte, off int, ms []jsonMember, out emitter) (string, []byte, error) {
	keys := make([]string, len(ms))
	vals := map[string]json.RawMessage{}
	for i, m := range ms {
		keys[i] = m.key
		vals[m.key] = m.val
	}
	rec := b[off:]
	if end, err := skipValue(b, off); err == nil {
		rec = b[off:end]
	}
	if !json.Valid(rec) {
		return "", nil, jsonError(b, off, "malformed JSON")
	}
	if _, ok := vals["manifest_version"]; ok {
		if _, files := vals["files"]; files {
			return KindOutput, nil, nil
		}
	}
	if isUserInfo(keys) {
		return KindCloudJSON, nil, out.emit(importV1(v1compat.UserInfo), rec, lineAt(b, off))
	}
	p, ok := match(keys, vals)
	if !ok {
		return "", nil, errUnknown
	}
	return KindAPIJSON, nil, out.emit(importV2(p.coll), withID(p, rec, vals), lineAt(b, off))
}

// isUserInfo: v1's /v1/userinfo (age, weight, height, gender, email, user_id).
func isUserInfo(keys []string) bool {
	n := 0
	for _, k := range keys {
		switch k {
		case "age", "weight", "height", "gender", "email", "user_id":
			n++
		case "id", "biological_sex":
			return false
		}
	}
	return n >= 2
}

// datasetName folds the key of an array of records to what it holds: a v1
// kind ("v1:sleep") or a v2 collection, "" when unknown.
func datasetName(key string) string {
	k := strings.NewReplacer("-", "_", " ", "_").Replace(strings.ToLower(strings.TrimSpace(key)))
	switch k {
	case "data":
		return "data"
	case "sleep", "activity", "readiness":
		return "v1?" + k
	case "restful_periods", "restful_period":
		return "v1:" + string(v1compat.RestfulPeriod)
	case "ideal_bedtimes", "bedtime", "bedtimes":
		return "v1?bedtime"
	case "heart_rate", "heartrate", "heart_rates":
		return "heartrate"
	case "vo2_max", "vo2max":
		return "vO2_max"
	case "sleepmodel", "sleep_model", "sleeps":
		return "sleep"
	}
	k = strings.TrimSuffix(k, "s")
	for _, c := range exporter.V2Collections(nil) {
		if strings.EqualFold(c.Name, k) || strings.EqualFold(strings.TrimSuffix(c.Name, "s"), k) || strings.EqualFold(strings.ReplaceAll(c.Name, "_", ""), k) {
			return c.Name
		}
	}
	return ""
}

// emitRecords classifies the records of an array (named name, "" for a
// bare array or JSON lines) by their name and fields, and emits them.
func emitRecords(b []byte, name string, items []jsonMember, out emitter) (string, error) {
	if len(items) == 0 {
		if datasetName(name) != "" {
			return KindCloudJSON, nil
		}
		return "", errUnknown
	}
	for _, it := range items {
		if it.val[0] != '{' || !json.Valid(it.val) {
			return "", jsonError(b, it.off, "a record of %q is not a JSON object", name)
		}
	}
	keys, vals := keysOf(items[0].val)
	ds := datasetName(name)
	ln := newLines(b)
	// v1 records: a date of v1 (summary_date), or a bedtime window.
	if k, ok := v1KindOf(ds, keys); ok {
		c := importV1(k)
		for _, it := range items {
			doc := it.val
			if k == v1compat.Bedtime {
				doc = bedtimeRecord(doc)
			}
			if err := out.emit(c, doc, ln.at(it.off)); err != nil {
				return "", err
			}
		}
		return KindCloudJSON, nil
	}
	var p *plan
	if ds != "" && !strings.HasPrefix(ds, "v1") && ds != "data" {
		p = allPlans()[ds]
	}
	if p == nil {
		var ok bool
		if p, ok = match(keys, vals); !ok {
			return "", errUnknown
		}
	}
	c := importV2(p.coll)
	kind := KindWebJSON
	switch {
	case ds == "data":
		kind = KindAPIJSON
	case strings.EqualFold(name, "heart_rate"):
		kind = KindCloudJSON // the legacy download's separate heart rate file
	}
	for _, it := range items {
		_, vals := keysOf(it.val)
		if err := out.emit(c, withID(p, it.val, vals), ln.at(it.off)); err != nil {
			return "", err
		}
	}
	return kind, nil
}

// v1KindOf tells the kind of v1 records from the array's name and the
// first record's fields.
func v1KindOf(ds string, keys []string) (v1compat.Kind, bool) {
	has := map[string]bool{}
	for _, k := range keys {
		has[k] = true
	}
	if has["bedtime_window"] || has["bedtime_window_start"] {
		return v1compat.Bedtime, true
	}
	if !has["summary_date"] {
		return "", false
	}
	if k, ok := strings.CutPrefix(ds, "v1:"); ok {
		return v1compat.Kind(k), true
	}
	if k, ok := strings.CutPrefix(ds, "v1?"); ok && k != "bedtime" {
		return v1compat.Kind(k), true
	}
	switch {
	case has["hypnogram_5min"] || has["score_total"] || has["is_longest"] || has["hr_5min"]:
		return v1compat.Sleep, true
	case has["day_start"] || has["steps"] || has["cal_total"] || has["class_5min"]:
		return v1compat.Activity, true
	case has["score_previous_night"] || has["score_sleep_balance"] || has["score_hrv_balance"]:
		return v1compat.Readiness, true
	case has["bedtime_start"]:
		return v1compat.RestfulPeriod, true
	}
	return "", false
}

// bedtimeRecord nests a flat bedtime record's window (bedtime_window_start,
// bedtime_window_end) as v1 had it; other records are returned as they are.
func bedtimeRecord(rec []byte) []byte {
	ms, _, err := objectMembers(rec, 0)
	if err != nil {
		return rec
	}
	flat := false
	for _, m := range ms {
		flat = flat || m.key == "bedtime_window_start" || m.key == "bedtime_window_end"
	}
	if !flat {
		return rec
	}
	doc := newObject()
	for _, m := range ms {
		if w, ok := strings.CutPrefix(m.key, "bedtime_window_"); ok && (w == "start" || w == "end") {
			doc.set([]string{"bedtime_window", w}, string(m.val))
			continue
		}
		doc.set([]string{m.key}, string(m.val))
	}
	return doc.bytes()
}

// withID gives a v2-shaped record of a collection keyed by id one when it
// has none (Oura on the Web's JSON often leaves it out).
func withID(p *plan, rec []byte, vals map[string]json.RawMessage) []byte {
	if !p.needID {
		return rec
	}
	if id, ok := vals[schema.ColID]; ok && string(id) != "null" && string(id) != `""` {
		return rec
	}
	doc := newObject()
	ms, _, err := objectMembers(rec, 0)
	if err != nil {
		return rec
	}
	for _, m := range ms {
		if m.key == schema.ColID {
			continue
		}
		doc.set([]string{m.key}, string(m.val))
	}
	p.addID(doc)
	return doc.bytes()
}
