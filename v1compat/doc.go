// Package v1compat keeps the Oura API v1 era: the v1 routes as collections
// the engine fetches (export --api v1), the mapping of v1 records into the
// unified schema (Map), and a strict validator of v1 records (Check). Its
// subpackage importer reads the files people saved from Oura (legacy
// Oura Cloud JSON and trends CSV, Oura on the Web downloads, Membership Hub
// export zips, ouraexport's own archives) into the same store and outputs.
//
// Oura switched v1 off (early 2024); servers that still answer it (the
// sandbox, emulators) are served by the same engine, pool, limiter and
// retries as v2, and a server that answers v1 with 404, 410 or 401 is
// reported as having retired it (exporter.RetiredError).
//
// # Mapping
//
// Every v1 field lands in the unified schema: in the column of the same
// concept as v2 (units converted: minutes to seconds, centimetres to
// metres; the day shifted: v1's summary_date of sleep and readiness is the
// day before the wake-up day v2 calls day; 0, v1's mark for "not
// available", made null), in a column of its own when v2 has no such
// concept (Column.V1 names the v1 field of every column), or, when unknown
// or of an unexpected type, in the row's extra column. hypnogram_5min,
// hr_5min, rmssd_5min, class_5min and met_1min become rows of the same
// child tables as their v2 twins. v1 records have no id: ID makes one from
// the record's kind, date and period.
//
// Rows from v1 have origin "v1" (or "import" when read from a file); when
// v2 holds the same record, the unified tables keep v2's (see
// exporter.Builder).
package v1compat
