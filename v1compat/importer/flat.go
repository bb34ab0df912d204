package importer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/ouraexport/ouraexport/exporter"
	"github.com/ouraexport/ouraexport/schema"
)

// Files of Oura on the Web (per-dataset downloads) and of the Membership
// Hub export hold one record per row under v2 field names: the web's with
// nested objects flattened (contributors_deep_sleep) and series in cells
// (heart_rate_5_min "61;60;None;"), the Hub's with nested objects as JSON
// text in their cell. A plan says, for one v2 collection, what each
// column name stands for, and turns a row into a v2-shaped document.

type colKind uint8

const (
	cUnknown colKind = iota
	cScalar          // a column of the parent table: path and type
	cJSON            // a nested object, array or list as JSON text
	cSeries          // a series cell: the sample object field, one value every interval seconds
)

type colPlan struct {
	kind     colKind
	path     []string
	typ      schema.Type
	text     bool    // free text: "None" is text, not a gap
	interval float64 // cSeries
}

// plan is what the column names of one v2 collection stand for.
type plan struct {
	coll   string // v2 collection name ("vO2_max")
	cols   map[string]colPlan
	start  string // the instant a series starts at (bedtime_start, timestamp)
	idKey  string // the field an id is made from when a record has none
	needID bool
	fields int
}

var (
	plansOnce sync.Once
	plans     map[string]*plan // by v2 collection name
)

var seriesName = regexp.MustCompile(`^(.+)_(\d+)_?(min|sec|s)$`)

// freeText columns hold what users typed: "None" there is text.
var freeText = map[string]bool{"text": true, "comment": true, "label": true, "custom_name": true}

func allPlans() map[string]*plan {
	plansOnce.Do(func() {
		plans = map[string]*plan{}
		for _, c := range exporter.V2Collections(nil) {
			plans[c.Name] = newPlan(c)
		}
	})
	return plans
}

func newPlan(c *exporter.Collection) *plan {
	tabs := schema.TablesOf(c.Name)
	p := &plan{coll: c.Name, cols: map[string]colPlan{}, idKey: c.Key}
	parent := tabs[0]
	p.needID = len(parent.Key) == 1 && parent.Key[0] == schema.ColID
	switch c.Name {
	case "sleep":
		p.idKey = "bedtime_start"
	case "session", "workout":
		p.idKey = "start_datetime"
	case "enhanced_tag":
		p.idKey = "start_time"
	case "tag":
		p.idKey = "timestamp"
	case "personal_info", "ring_configuration":
		p.idKey = ""
	}
	samples := map[string]bool{}
	for _, col := range parent.Columns {
		if col.V2 == "" || strings.HasSuffix(col.Name, "_utc_offset") {
			continue
		}
		path := strings.Split(col.V2, ".")
		if len(path) == 1 && col.Type == schema.Timestamp && p.start == "" {
			p.start = col.V2
		}
		if len(path) == 2 && path[1] == "interval" {
			samples[path[0]] = true
		}
		kind := cScalar
		if col.Type == schema.JSON {
			kind = cJSON
		}
		p.cols[col.Name] = colPlan{kind: kind, path: path, typ: col.Type, text: freeText[col.Name]}
		if len(path) > 1 {
			p.cols[path[0]] = colPlan{kind: cJSON, path: path[:1]}
		}
	}
	for _, t := range tabs[1:] {
		for _, col := range t.Columns {
			if path := strings.Split(col.V2, "."); len(path) > 1 && path[0] != schema.ColID {
				p.cols[path[0]] = colPlan{kind: cJSON, path: path[:1]}
			}
		}
	}
	for f := range samples {
		// The web's series columns: <field>_5_min, <field>_1_min.
		for _, per := range []struct {
			suffix string
			iv     float64
		}{{"_5_min", 300}, {"_1_min", 60}, {"_30_sec", 30}, {"_5_sec", 5}} {
			p.cols[f+per.suffix] = colPlan{kind: cSeries, path: []string{f}, interval: per.iv}
		}
	}
	p.fields = len(p.cols)
	return p
}

// lookup returns what a column name stands for in p.
func (p *plan) lookup(name string) colPlan {
	if c, ok := p.cols[name]; ok {
		return c
	}
	if c, ok := p.cols[strings.ToLower(strings.TrimSpace(name))]; ok {
		return c
	}
	// A series at another interval than the usual ones.
	if m := seriesName.FindStringSubmatch(strings.ToLower(name)); m != nil {
		if base, ok := p.cols[m[1]+"_5_min"]; ok && base.kind == cSeries {
			n, _ := strconv.Atoi(m[2])
			iv := float64(n)
			if m[3] == "min" {
				iv *= 60
			}
			return colPlan{kind: cSeries, path: base.path, interval: iv}
		}
	}
	return colPlan{}
}

// row turns the cells of one row (names[i] holds cells[i]) into a v2
// document. Known columns are converted to their JSON type (a value that
// is not of it is kept as text: the mapper keeps it in extra); empty cells
// and None are null; unknown columns are kept under their own name.
func (p *plan) row(names, cells []string) []byte {
	doc := newObject()
	type series struct {
		path     []string
		items    string
		interval float64
	}
	var pending []series
	for i, name := range names {
		if i >= len(cells) {
			break
		}
		v := cells[i]
		cp := p.lookup(name)
		if cp.kind == cUnknown {
			if name == "" || strings.TrimSpace(v) == "" {
				continue
			}
			doc.set([]string{name}, quote(v))
			continue
		}
		if (cp.kind != cScalar || !cp.text) && blank(v) || strings.TrimSpace(v) == "" {
			if cp.kind == cScalar && len(cp.path) == 1 && cp.path[0] == schema.ColID {
				continue // an id is made below
			}
			if cp.kind == cSeries {
				continue
			}
			doc.set(cp.path, "null")
			continue
		}
		switch cp.kind {
		case cJSON:
			if t := strings.TrimSpace(v); json.Valid([]byte(t)) {
				doc.set(cp.path, compactJSON(t))
			} else {
				doc.set(cp.path, quote(v))
			}
		case cSeries:
			if items, ok := seriesText(v); ok {
				pending = append(pending, series{cp.path, items, cp.interval})
			} else {
				doc.set([]string{name}, quote(v))
			}
		default:
			doc.set(cp.path, scalarText(cp, v))
		}
	}
	for _, s := range pending {
		obj := `{"interval":` + strconv.FormatFloat(s.interval, 'f', -1, 64) + `,"items":` + s.items
		if st := doc.get(p.start); st != "" && st != "null" {
			obj += `,"timestamp":` + st
		}
		if !doc.set(s.path, obj+"}") {
			doc.set([]string{strings.Join(s.path, "_") + "_series"}, quote(s.items))
		}
	}
	p.addID(doc)
	return doc.bytes()
}

// addID gives a record of a collection keyed by id one, when it has none:
// import-<collection>-<day or start>, else a digest of the record.
func (p *plan) addID(doc *jsonObject) {
	if !p.needID {
		return
	}
	if id := doc.get(schema.ColID); id != "" && id != "null" && id != `""` {
		return
	}
	basis := ""
	if p.idKey != "" {
		var s string
		if json.Unmarshal([]byte(doc.get(p.idKey)), &s) == nil {
			basis = s
		}
	}
	if basis == "" && p.idKey == "" {
		basis = "1"
	}
	if basis == "" {
		h := sha256.Sum256(doc.bytes())
		basis = hex.EncodeToString(h[:8])
	}
	id := quote("import-" + strings.ToLower(p.coll) + "-" + basis)
	if doc.has(schema.ColID) {
		doc.vals[schema.ColID] = id
		return
	}
	doc.prepend(schema.ColID, id)
}

// scalarText converts a cell for a column of type cp.typ.
func scalarText(cp colPlan, v string) string {
	switch cp.typ {
	case schema.Int:
		if n, ok := intText(v); ok {
			return n
		}
		if n, ok := numberText(v); ok {
			return n
		}
	case schema.Float:
		if n, ok := numberText(v); ok {
			return n
		}
	case schema.Bool:
		if b, ok := boolText(v); ok {
			return b
		}
	case schema.Date:
		if d, ok := parseDay(v); ok {
			return quote(dayText(d))
		}
	case schema.Timestamp:
		return quote(strings.TrimSpace(v))
	case schema.JSON:
		if t := strings.TrimSpace(v); json.Valid([]byte(t)) {
			return compactJSON(t)
		}
	case schema.String:
		if !cp.text {
			return quote(strings.TrimSpace(v))
		}
	}
	return quote(v)
}

func compactJSON(s string) string {
	var b bytes.Buffer
	if json.Compact(&b, []byte(s)) != nil {
		return s
	}
	return b.String()
}

// match scores how well names (a CSV header, or the keys of records) fit
// each v2 collection and returns the best one; ok is false when none fits
// well enough: at least two names known, and half of them. Ties are
// broken by the keys of the nested objects in sample (a first row or
// record), then by the collection that has fewer fields.
func match(names []string, sample map[string]json.RawMessage) (*plan, bool) {
	var best []*plan
	bestN := 0
	known := 0
	for _, n := range names {
		if strings.TrimSpace(n) != "" && n != schema.ColID {
			known++
		}
	}
	for _, c := range exporter.V2Collections(nil) {
		p := allPlans()[c.Name]
		n := 0
		for _, name := range names {
			if p.lookup(name).kind != cUnknown && name != schema.ColID {
				n++
			}
		}
		switch {
		case n > bestN:
			best, bestN = []*plan{p}, n
		case n == bestN && n > 0:
			best = append(best, p)
		}
	}
	if bestN < 2 || bestN*2 < known {
		return nil, false
	}
	if len(best) > 1 && sample != nil {
		var narrowed []*plan
		top := 0
		for _, p := range best {
			n := 0
			for name, raw := range sample {
				var sub map[string]json.RawMessage
				if json.Unmarshal(raw, &sub) != nil {
					continue
				}
				for k := range sub {
					if _, ok := p.cols[name+"_"+k]; ok {
						n++
					}
				}
			}
			switch {
			case n > top:
				narrowed, top = []*plan{p}, n
			case n == top:
				narrowed = append(narrowed, p)
			}
		}
		best = narrowed
	}
	p := best[0]
	for _, q := range best[1:] {
		if q.fields < p.fields {
			p = q
		}
	}
	return p, true
}
