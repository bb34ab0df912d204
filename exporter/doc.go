// Package exporter is the engine of ouraexport: it takes one account's
// history out of an Oura API server and into the sinks, in three steps.
//
// Fetch (fetch.go) plans and fetches. It identifies the account
// (personal_info) and dates the history (ring_configuration, else a
// bisection probe: history.go), then plans the windows the store does not
// hold settled (plan.go): the daily collections in the largest window the
// server accepts, time series in 30-day windows walked as parallel lanes,
// each window re-anchored at the last full page (lanes.go). A pool of
// workers fetches windows; the pages of one window follow next_token in
// sequence, escaping pagination loops (pagination.go); refused windows are
// halved, failed ones retried, and a collection that cannot be read (403)
// is recorded while the others go on (recovery.go, complete.go). HTTP is
// package oura's: rate limiting, retries by behaviour, the token only in
// the Authorization header.
//
// Store (store.go, compact.go, coverage.go) keeps each window's raw
// documents as a compressed segment under <out>/.ouraexport, committed
// atomically only once all its pages are in: the checkpoint. A killed run
// resumes from it, a later run fetches only the gaps and the last look-back
// days, and a newer fetch of a day supersedes an older one.
//
// Build (build.go, merge.go, fanout.go) streams each collection from the
// store, in time order, through the schema's mapper into every sink at once
// (one goroutine per sink). Documents are read twice on purpose: once from
// the network, when they are validated and stored exactly as received, and
// once from the store, when they are mapped. The outputs are therefore a
// function of the store alone: the same store always builds the same bytes,
// a rebuild needs no server (Rebuild, for imports), and what the archive's
// raw/ folder holds is what the API sent. A v2 collection is built as soon
// as it is complete, while others are still fetching (schedule.go): the
// windows of the collections that take longest to build are fetched first,
// and of the collections complete the largest is built first. Each output
// file depends on its own table's rows alone (a Parquet row group ends by
// its table's own budget, or where the engine flushes a collection it has
// built: sinks.Flusher), so the build order changes no byte. The fetch
// reaches beyond the days asked for (margins for time zones and the
// server's boundaries; Collection.Spread for v1's summary_date); the build
// keeps exactly those days, by each row's day (days.go): a v2 document by
// its key, rows of other sources one by one, child rows with their parent.
//
// Sources rank in the merge: API v2 first, then the retired API v1, then
// imported files (newest import first). v2 rows are written as they come
// and claim their natural keys; a lower source's row reaches the outputs
// only when no higher source (nor an earlier row of its own) holds the same
// record, by each table's schema.Merge rule (a day, a bedtime start, the id,
// or for time series the 5-minute periods covered), and its child rows go
// with it. Every row carries its origin.
//
// Export runs fetch and build and commits the sinks and MANIFEST.json only
// when all is written (an AfterFunc, the CLI's report, may add files
// between the two, which the manifest lists); ExportAccount is the whole
// sequence for one account (store, client, dry run, a sink per format),
// which the export command, cohorts, object-store outputs and watch share. The collections a build may
// meet in the store come from a Registry passed in explicitly (built by
// internal/catalog); V2Collections derives the v2 ones from the schema.
//
// Refresh (refresh.go, refresh_fetch.go) is the fetch of the push side
// (watch): given the changes webhook events announced, it fetches only the
// days they touch (a stored document's day, a window from a collection's
// last stored day for new ones, a document by id only when neither shows
// it; the time series over the days touched), stores them as a newer
// generation, and builds and commits the outputs exactly as Export does.
// What the last export said about the collections it could not read comes
// from its MANIFEST.json, so the folder equals a fresh export's.
//
// The API moves, and the engine keeps what it does not know (probe.go):
// an optional collection (Collection.Optional, gated by a scope most
// logins lack) is probed with one request before planning, and a 403 or
// 404 is reported with what its scope would add, not failed
// (UnavailableError, optional.go); a collection no table models
// (RawCollection, raw.go) has its shape settled by asking the server, and
// its documents reach the archive's raw/ folder and the store only, the
// shape remembered for rebuilds. Fields no table models reach the extra
// column, as the mapper keeps them.
//
// The engine sees the sink contract (package sinks), never a format
// package, and knows an API only through Collection values, so v1 plugs in
// beside v2 (package v1compat).
package exporter
