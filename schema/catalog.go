package schema

import (
	"fmt"
	"strings"
)

// Origin says where a row came from. Every table has an origin column.
type Origin string

// The origins a row can have.
const (
	// OriginV2 marks rows mapped from the Oura API v2.
	OriginV2 Origin = "v2"
	// OriginV1 marks rows mapped from the retired Oura API v1 (or files shaped like its responses).
	OriginV1 Origin = "v1"
	// OriginImport marks rows read from files a user downloaded from Oura (CSV or JSON exports).
	OriginImport Origin = "import"
)

func (o Origin) valid() bool { return o == OriginV2 || o == OriginV1 || o == OriginImport }

// Names of the columns every table has.
const (
	// ColOrigin is the provenance column: "v2", "v1" or "import" (never null).
	ColOrigin = "origin"
	// ColID is the Oura id column of top-level tables.
	ColID = "id"
	// ColExtra is the JSON column of top-level tables that keeps, as a JSON
	// object, every field of the source document the schema does not know
	// (and any value that did not fit its column), under its path.
	ColExtra = "extra"
	// ColSeq is the position of a child row within its series, from 0.
	ColSeq = "seq"
)

// kind is the JSON shape of a v2 field and says how it becomes columns.
type kind uint8

const (
	kString   kind = iota + 1 // JSON string: String column
	kEnum                     // JSON string from a small set: String column (values interned)
	kInt                      // JSON integer: Int column
	kFloat                    // JSON number: Float column
	kBool                     // JSON boolean: Bool column
	kDate                     // JSON string YYYY-MM-DD: Date column
	kInstant                  // JSON date-time string: Timestamp column X and Int column X_utc_offset
	kStrings                  // JSON array of strings: JSON column
	kObject                   // JSON object: its fields flatten to <name>_<field> columns
	kSample                   // Oura sample object: X_interval, X_timestamp(+offset), items to a child table
	kCodes                    // encoded string: String column, one child row per character
	kEpisodes                 // array of rest mode episodes: one child row per episode
)

// fdef declares one field of a v2 document and the column(s) it becomes, or a
// column that only v1 or imported files fill (v2 == "").
type fdef struct {
	v2    string // member name in its JSON object; "" for a column without a v2 field
	col   string // column name; "" for the flattened v2 path
	kind  kind
	typ   Type // column type of a v1-only column (v2 == "")
	req   bool // the v2 spec requires the field (CheckV2 enforces it)
	null  bool // the v2 spec allows null
	unit  string
	doc   string
	v1    string
	offV1 string // kInstant: the v1 field of the _utc_offset column
	local bool   // kInstant: Oura's LocalDateTime, which may come without an offset
	sub   []fdef // kObject and kEpisodes: the members
	child *cdef  // kSample, kCodes, kEpisodes: the child table
}

// cdef declares the child table of a sample, encoded string or episode list.
type cdef struct {
	name     string // table name
	doc      string
	value    string // kSample: name of the value column
	unit     string // kSample: unit of the value column
	vdoc     string // kSample: meaning of the value column
	v1       string // v1 field of the value (or code) column
	labels   []string
	start    string  // kCodes: v2 name of the parent's instant field the series starts at
	interval float64 // kCodes: seconds per character
	what     string  // kCodes: what one character classifies
}

// tdef declares one top-level table and the v2 collection it maps.
type tdef struct {
	name   string
	coll   string // v2 collection name as in the URL
	doc    string
	key    []string
	part   string
	dated  string // the field that places a record in time (Table.DatedBy)
	merge  Merge
	fields []fdef
}

// field is the compiled form of an fdef that the document walker uses.
type field struct {
	name   string
	path   string // dotted v2 path, for warnings and errors
	kind   kind
	req    bool
	null   bool
	bit    uint64 // the field's bit in its object's seen-set
	col    int    // the column (kInstant: timestamp; kSample: interval)
	col2   int    // kInstant: offset column; kSample: timestamp column
	col3   int    // kSample: offset column
	slot   int    // top-level instants: where the walker keeps the parsed value; -1 otherwise
	obj    *object
	child  *child
	intern bool
}

// object is the compiled set of fields of one JSON object.
type object struct {
	fields []*field
	byName map[string]*field
	req    uint64 // bits of the required fields
}

func (o *object) lookup(key []byte) *field {
	if len(o.fields) <= 8 {
		for _, f := range o.fields {
			if f.name == string(key) {
				return f
			}
		}
		return nil
	}
	return o.byName[string(key)]
}

// child is the compiled form of a child table.
type child struct {
	table     *Table
	num       int
	kind      kind // kSample, kCodes or kEpisodes
	parentCol int
	seqCol    int
	tsCol     int
	offCol    int
	valCol    int // kSample value, kCodes code
	labelCol  int // kCodes
	originCol int
	labels    []string
	startName string  // kCodes: v2 name of the parent instant the series starts at
	startSlot int     // kCodes: slot of that instant in the walker
	interval  float64 // kCodes: seconds per character
	obj       *object // kEpisodes: the episode's fields
}

// collection is the compiled mapping of one v2 collection.
type collection struct {
	name      string
	table     *Table
	num       int
	root      *object
	children  []*child
	idCol     int
	originCol int
	extraCol  int
	slots     int
	nums      []int // table numbers of the table and its children
}

var (
	tables      []*Table
	tableByName = map[string]*Table{}
	tableNum    = map[*Table]int{}
	collections []*collection
	collByName  = map[string]*collection{}
)

func init() {
	for _, d := range tableDefs() {
		c := compile(d)
		collections = append(collections, c)
		collByName[c.name] = c
		collByName[strings.ToLower(c.name)] = c
	}
}

// Tables returns every table: the top-level tables in alphabetical order,
// each followed by its child tables. The tables are shared and
// must not be modified.
func Tables() []*Table { return append([]*Table(nil), tables...) }

// Lookup returns the named table, or nil if there is none.
func Lookup(name string) *Table { return tableByName[name] }

// Collections returns the names of the v2 collections the schema maps, as
// they appear in API routes ("vO2_max"), in the order of Tables.
func Collections() []string {
	names := make([]string, len(collections))
	for i, c := range collections {
		names[i] = c.name
	}
	return names
}

// TablesOf returns the table of a v2 collection followed by its child tables,
// or nil for an unknown collection. Collection names match case-insensitively.
func TablesOf(collection string) []*Table {
	c := lookupCollection(collection)
	if c == nil {
		return nil
	}
	out := []*Table{c.table}
	for _, ch := range c.children {
		out = append(out, ch.table)
	}
	return out
}

func lookupCollection(name string) *collection {
	if c, ok := collByName[name]; ok {
		return c
	}
	return collByName[strings.ToLower(name)]
}

// compile turns a table declaration into its Table, its child Tables and the
// mapping the walker follows. It panics on a malformed declaration (a
// programming error caught by every test run).
func compile(d tdef) *collection {
	merge := d.merge
	t := &Table{Name: d.name, Doc: d.doc, Collection: d.coll, Key: d.key, Partition: d.part, DatedBy: d.dated, Merge: &merge}
	c := &collection{name: d.coll, table: t}
	c.root = compileObject(c, t, d.fields, "", "", true)
	for _, ch := range c.children {
		if ch.kind != kCodes {
			continue
		}
		f := c.root.byName[ch.startName]
		if f == nil || f.kind != kInstant || f.slot < 0 {
			panic("schema: " + ch.table.Name + " starts at unknown instant " + ch.startName)
		}
		ch.startSlot = f.slot
	}
	t.Columns = append(t.Columns,
		Column{Name: ColOrigin, Type: String, Required: true,
			Doc: `Where the row came from: "v2" (the Oura API v2), "v1" (the retired API v1) or "import" (a file downloaded from Oura).`},
		Column{Name: ColExtra, Type: JSON,
			Doc: "Every field of the source record that this schema does not know, and any value that did not fit its column, as a JSON object keyed by the field's path; null when there was none."})
	checkRules(t)
	register(t)
	c.num = tableNum[t]
	c.idCol, c.originCol, c.extraCol = t.Index(ColID), t.MustIndex(ColOrigin), t.MustIndex(ColExtra)
	// Children follow their parent in Tables order.
	for _, ch := range c.children {
		register(ch.table)
		ch.num = tableNum[ch.table]
	}
	c.nums = append(c.nums, c.num)
	for _, ch := range c.children {
		c.nums = append(c.nums, ch.num)
	}
	return c
}

// checkRules panics unless t's DatedBy names a Date or Timestamp column
// and its merge rule is exactly one of the four, over columns it has.
func checkRules(t *Table) {
	if t.DatedBy != "" {
		i := t.Index(t.DatedBy)
		if i < 0 || (t.Columns[i].Type != Date && t.Columns[i].Type != Timestamp) {
			panic("schema: table " + t.Name + " is dated by " + t.DatedBy + ", which is not a date or timestamp column")
		}
	}
	m := t.Merge
	rules := 0
	for _, set := range []bool{len(m.Keys) > 0, m.Series != "", m.One, m.ByID} {
		if set {
			rules++
		}
	}
	if rules != 1 {
		panic(fmt.Sprintf("schema: table %s needs exactly one merge rule (Keys, Series, One or ByID), has %d", t.Name, rules))
	}
	for _, alt := range m.Keys {
		for _, col := range alt {
			t.MustIndex(col)
		}
	}
	if m.Series != "" && t.Columns[t.MustIndex(m.Series)].Type != Timestamp {
		panic("schema: time series " + t.Name + " is merged by " + m.Series + ", which is not a timestamp column")
	}
}

func register(t *Table) {
	if _, dup := tableByName[t.Name]; dup {
		panic("schema: duplicate table " + t.Name)
	}
	t.Index("") // build the column index now: Index is then read-only and safe for concurrent use
	tableByName[t.Name] = t
	tableNum[t] = len(tables)
	tables = append(tables, t)
}

// compileObject appends the columns of the fields fs (of an object at JSON
// path path, columns prefixed with prefix) to t and returns the object's
// compiled fields.
func compileObject(c *collection, t *Table, fs []fdef, path, prefix string, top bool) *object {
	o := &object{byName: map[string]*field{}}
	for _, fd := range fs {
		if fd.v2 == "" { // a column only v1 or imports fill
			if fd.col == "" || fd.typ == 0 {
				panic("schema: v1-only column without name or type in " + t.Name)
			}
			if fd.typ == Timestamp {
				addInstant(t, fd.col, "", fd.doc, fd.v1, fd.offV1, false)
			} else {
				addCol(t, Column{Name: fd.col, Type: fd.typ, Unit: fd.unit, TZ: tzOf(fd.typ), Doc: fd.doc, V1: fd.v1})
			}
			continue
		}
		f := &field{name: fd.v2, path: join(path, fd.v2, "."), kind: fd.kind, req: fd.req, null: fd.null, slot: -1}
		if len(o.fields) == 64 {
			panic("schema: more than 64 fields in an object of " + t.Name)
		}
		f.bit = 1 << len(o.fields)
		if fd.req {
			o.req |= f.bit
		}
		name := fd.col
		if name == "" {
			name = prefix + fd.v2
		}
		switch fd.kind {
		case kString, kEnum, kInt, kFloat, kBool, kDate, kStrings, kCodes:
			typ := map[kind]Type{kString: String, kEnum: String, kInt: Int, kFloat: Float, kBool: Bool, kDate: Date, kStrings: JSON, kCodes: String}[fd.kind]
			f.col = addCol(t, Column{Name: name, Type: typ, Unit: fd.unit, TZ: tzOf(typ), Doc: fd.doc, V2: f.path, V1: fd.v1})
			f.intern = fd.kind == kEnum
			if fd.kind == kCodes {
				f.child = compileCodes(c, t, fd)
			}
		case kInstant:
			f.col, f.col2 = addInstant(t, name, f.path, fd.doc, fd.v1, fd.offV1, fd.local)
			if top {
				f.slot = c.slots
				c.slots++
			}
		case kObject:
			f.obj = compileObject(c, t, fd.sub, f.path, name+"_", false)
		case kSample:
			ch := fd.child
			f.col = addCol(t, Column{Name: name + "_interval", Type: Float, Unit: "s", V2: f.path + ".interval",
				Doc: "Seconds between consecutive samples of the " + fd.v2 + " series (rows of " + ch.name + ")."})
			f.col2, f.col3 = addInstant(t, name+"_timestamp", f.path+".timestamp",
				"Instant of the first sample of the "+fd.v2+" series (seq 0 in "+ch.name+").", "", "", false)
			f.child = compileSample(c, t, fd)
		case kEpisodes:
			f.child = compileEpisodes(c, t, fd)
			f.obj = f.child.obj
		default:
			panic("schema: unknown kind in " + t.Name + "." + fd.v2)
		}
		o.fields = append(o.fields, f)
		o.byName[f.name] = f
	}
	return o
}

func join(a, b, sep string) string {
	if a == "" {
		return b
	}
	return a + sep + b
}

func tzOf(t Type) string {
	switch t {
	case Date:
		return "local"
	case Timestamp:
		return "UTC"
	}
	return ""
}

func addCol(t *Table, col Column) int {
	for _, c := range t.Columns {
		if c.Name == col.Name {
			panic("schema: duplicate column " + t.Name + "." + col.Name)
		}
	}
	t.Columns = append(t.Columns, col)
	return len(t.Columns) - 1
}

// addInstant adds the Timestamp column name and its name_utc_offset column.
func addInstant(t *Table, name, v2, doc, v1, offV1 string, local bool) (int, int) {
	if local {
		doc += " Oura stamps this field in local time and may leave out the offset: then the offset column is null and this column holds the local wall-clock time as if it were UTC."
	}
	ts := addCol(t, Column{Name: name, Type: Timestamp, TZ: "UTC", Doc: doc, V2: v2, V1: v1})
	off := addCol(t, Column{Name: name + "_utc_offset", Type: Int, Unit: "min", V2: v2, V1: offV1,
		Doc: "Offset from UTC, in minutes east, with which " + name + " was stamped in the source (local time = " + name + " + this offset); null when the source had no offset."})
	return ts, off
}

// newChild starts a child table of parent t with its key columns.
func newChild(c *collection, t *Table, cd *cdef) (*Table, *child) {
	if cd == nil {
		panic("schema: field without child table in " + t.Name)
	}
	ct := &Table{Name: cd.name, Doc: cd.doc, Collection: c.name, Parent: t.Name,
		Key: []string{t.Name + "_id", ColSeq}, Partition: "timestamp"}
	ch := &child{table: ct, labelCol: -1, valCol: -1, startSlot: -1}
	ch.parentCol = addCol(ct, Column{Name: t.Name + "_id", Type: String, V2: "id",
		Doc: "Oura id of the " + t.Name + " row this row belongs to (join on " + t.Name + ".id)."})
	ch.seqCol = addCol(ct, Column{Name: ColSeq, Type: Int, Required: true,
		Doc: "Position of this row in its series, from 0."})
	c.children = append(c.children, ch)
	return ct, ch
}

func finishChild(ct *Table, ch *child) {
	ch.originCol = addCol(ct, Column{Name: ColOrigin, Type: String, Required: true,
		Doc: `Where the row came from: "v2", "v1" or "import" (always that of its parent row).`})
}

func compileSample(c *collection, t *Table, fd fdef) *child {
	ct, ch := newChild(c, t, fd.child)
	ch.kind = kSample
	p := fd.v2
	ch.tsCol = addCol(ct, Column{Name: "timestamp", Type: Timestamp, TZ: "UTC", V2: p + ".timestamp",
		Doc: "Instant of the sample: the series start (" + p + ".timestamp) plus seq × " + p + ".interval seconds."})
	ch.offCol = addCol(ct, Column{Name: "timestamp_utc_offset", Type: Int, Unit: "min", V2: p + ".timestamp",
		Doc: "Offset from UTC, in minutes east, of the series start (local time = timestamp + this offset); null when the source had none."})
	ch.valCol = addCol(ct, Column{Name: fd.child.value, Type: Float, Unit: fd.child.unit, V2: p + ".items", V1: fd.child.v1,
		Doc: fd.child.vdoc + " Null where the ring recorded no value (a gap)."})
	finishChild(ct, ch)
	return ch
}

func compileCodes(c *collection, t *Table, fd fdef) *child {
	ct, ch := newChild(c, t, fd.child)
	cd := fd.child
	ch.kind = kCodes
	ch.labels = cd.labels
	ch.interval = cd.interval
	ch.startName = cd.start
	p := fd.v2
	ch.tsCol = addCol(ct, Column{Name: "timestamp", Type: Timestamp, TZ: "UTC",
		Doc: fmt.Sprintf("Start of the %s this character classifies: %s plus seq × %g seconds.", cd.what, cd.start, cd.interval)})
	ch.offCol = addCol(ct, Column{Name: "timestamp_utc_offset", Type: Int, Unit: "min", V2: cd.start,
		Doc: "Offset from UTC, in minutes east, of " + cd.start + " (local time = timestamp + this offset); null when the source had none."})
	var alpha []string
	for i, l := range cd.labels {
		if l != "" {
			alpha = append(alpha, fmt.Sprintf("%d %s", i, l))
		}
	}
	ch.valCol = addCol(ct, Column{Name: "code", Type: Int, V2: p, V1: cd.v1,
		Doc: "The character of " + p + " at this position, as a number: " + strings.Join(alpha, ", ") + "; null for a character that is not a digit."})
	ch.labelCol = addCol(ct, Column{Name: "label", Type: String, V2: p,
		Doc: "The meaning of code: " + strings.Join(nonEmpty(cd.labels), ", ") + "; null for a code outside that alphabet."})
	finishChild(ct, ch)
	return ch
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func compileEpisodes(c *collection, t *Table, fd fdef) *child {
	ct, ch := newChild(c, t, fd.child)
	ch.kind = kEpisodes
	ch.tsCol, ch.offCol = -1, -1
	ch.obj = compileObject(c, ct, fd.sub, fd.v2, "", false)
	if f := ch.obj.byName["timestamp"]; f != nil {
		ch.tsCol, ch.offCol = f.col, f.col2
	}
	finishChild(ct, ch)
	return ch
}
