package report

import (
	"time"

	"github.com/ouraexport/ouraexport/sinks"
)

// Report is what a report shows, as plain data: Build makes it from an
// export's files, Render draws it. Every number in it is counted from the
// files (or taken from the manifest), never asked of the API.
type Report struct {
	// Subject is the person the export is about.
	Subject sinks.Subject
	// Period is the span of days the export covers (the manifest's, else
	// the days the data spans).
	Period Period
	// ExportedAt is when the export ran (UTC).
	ExportedAt    time.Time
	ToolVersion   string
	SchemaVersion int
	// Sources are where the records came from, as the manifest names them.
	Sources []sinks.Source
	// Origins count the records (rows of top-level tables) by their origin
	// column: v2, v1, import.
	Origins []Count
	// Records is the number of rows of top-level tables.
	Records int64
	// Notes are the manifest's notes: what is missing and why.
	Notes []string
	// Verify is what verification found, when it ran.
	Verify Verification
	// Coverage holds one calendar per group of collections.
	Coverage []*Group
	// Gaps are the days some group has no data, as ranges with their reason.
	Gaps []Gap
	// NotWorn is the number of days the ring was not worn.
	NotWorn int
	// Trends are the summaries of the metrics people look at first.
	Trends []*Trend
	// Stages are the monthly means of the sleep stages (hours a night).
	Stages []StageMonth
	// Tables describe every table of the export.
	Tables []*TableInfo
	// Archives are the export's archives.
	Archives []FileInfo
	// Unread says what the report could not read, and why ("" when it
	// read everything): an encrypted archive without its key, a damaged
	// file (its table is then left out of the calendars and trends).
	Unread string
	// Read says which format the rows were read from ("Parquet", "CSV", "archive data/").
	Read []string
}

// Count is a number of things of a kind.
type Count struct {
	Name string
	N    int64
}

// Period is a span of days, both ends included.
type Period struct {
	First, Last Day
}

// Days returns the number of days in p (0 for an empty period).
func (p Period) Days() int {
	if p.Last < p.First {
		return 0
	}
	return int(p.Last-p.First) + 1
}

// Verification is what a re-read of the export's files found.
type Verification struct {
	// Done is false when the export was not verified.
	Done bool
	// Files and Rows are those re-read.
	Files int
	Rows  int64
	// Problems lists every problem found, one a line.
	Problems []string
	// Note says why it was not verified, or how.
	Note string
}

// Kind is why a day has no data in a group.
type Kind uint8

// The kinds of days in a coverage calendar.
const (
	// HasData: the group has records that day.
	HasData Kind = iota
	// NotWorn: the ring was not worn (the day's activity record shows it
	// off the finger), or not worn the evening before, for a night.
	NotWorn
	// Refused: the server refused the data (the manifest's notes say so).
	Refused
	// Missing: no records, for no reason the export knows.
	Missing
)

// Group is the coverage calendar of a group of collections: one level per
// day of the period.
type Group struct {
	Key  string // "sleep"
	Name string // "Sleep"
	// Shade says what a cell's shade measures.
	Shade string
	// Tables are the tables of the group the export has.
	Tables []string
	// Events is true for occasional records (workouts, tags): a day
	// without one is no gap.
	Events bool
	// Levels holds, per day of the period, how much data the day has: 0
	// none, 1 to 4 more and more.
	Levels []uint8
	// Kinds holds, per day, why a day without data has none.
	Kinds []Kind
	// DaysWith is the number of days of the period with records.
	DaysWith int
	// Records is the number of records of the group's tables in the period.
	Records int64
}

// Gap is a range of days that one or more groups have no data for.
type Gap struct {
	From, To Day
	// Groups are the names of the groups missing the range.
	Groups []string
	Kind   Kind
	// Reason says why, in words.
	Reason string
}

// Days returns the number of days of the gap.
func (g Gap) Days() int { return int(g.To-g.From) + 1 }

// Trend is a metric summarised by week and by month.
type Trend struct {
	Key  string // "sleep_score"
	Name string // "Sleep score"
	// Unit is shown after values ("h", "bpm", "ms", "").
	Unit string
	// Format says how values are written (see formatValue).
	Format valueFormat
	// What says where the values come from.
	What string
	// Weekly and Monthly are the means per ISO week (from Monday) and per
	// calendar month, over the days that have a value.
	Weekly, Monthly []Point
	// Mean is the mean over every day with a value; Days is their number.
	Mean float64
	Days int
}

// Point is the mean of a metric over a span of days.
type Point struct {
	From, To Day
	Mean     float64
	Days     int
}

// StageMonth holds a month's mean hours a night in each sleep stage.
type StageMonth struct {
	From, To               Day
	Deep, Light, REM, Wake float64
	Nights                 int
}

// TableInfo describes one table of the export.
type TableInfo struct {
	Name   string
	Parent string // the table a child table belongs to, "" for top-level ones
	// Rows is the manifest's row count (of one format).
	Rows int64
	// First and Last are the first and last day of the table's records,
	// when Dated (the table is dated and its rows were read).
	First, Last Day
	Dated       bool
	// FirstAt and LastAt are its first and last instants, in the offset
	// the data carries, for time series ("" otherwise).
	FirstAt, LastAt string
	Files           []FileInfo
}

// FileInfo is one file of the export.
type FileInfo struct {
	Path string // as the manifest lists it
	Href string // the link, relative to the report
	Size int64
	Rows int64
}
