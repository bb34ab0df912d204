// Package report turns an export into one self-contained HTML page that a
// person can look at: who and which period, where the records came from,
// whether the files verify, a coverage calendar per group of collections
// (one cell a day, shaded by how much data the day has, gaps marked and
// listed with their reason when the export knows it), the trends people
// look at first, and every table with its files.
//
// Build reads the export's own files, never the API: its manifest, then
// the rows of every top-level table once (Parquet through Arrow's reader
// when the export has it, else CSV, else the archive's data/ entries,
// encrypted archives included when given their key), into a Report, which
// is plain data. Render draws a Report with html/template and SVG made
// here: inline CSS allowed by its hash in a Content-Security-Policy that
// forbids every load, no script, light and dark schemes, print styles,
// and a text alternative for every chart. Summaries, not samples, so the
// page stays small (a few hundred kB for five years).
//
// Days are the user's local days, as Oura assigns them (the day columns);
// instants stamped in UTC (heart rate, battery) fall on the local day of
// the offset the activity days record at the time, and instants are shown
// in the offset their rows carry.
//
// After is the engine's hook that writes report.html into an export, and
// Index the page that links the reports of a cohort's participants.
package report
