// Package watch keeps exports current from Oura's webhooks: it receives
// events (through the caller's handler, which verifies them and hands them
// to Accept), records each durably in a journal before it is answered,
// batches them per account (a quiet spell, or a longest wait), and has each
// account's worker apply a batch by fetching just what changed (Account.Apply,
// exporter.Refresh in the program), acknowledging an event only once the
// export folder reflects it. A change the API does not show yet is asked for
// again with backoff. Webhooks are hints, not truth: every account is
// brought up to date by an incremental export on start and every
// Options.Resync (Account.Resync), and the subscriptions are renewed before
// they expire (Options.Subscribe). A watch killed at any point replays its
// journal on the next start, so nothing it answered 2xx is lost.
//
// The package knows neither the API nor the export engine: the program
// passes them in as functions, so the loop is tested with fakes and the
// whole with the sandbox.
package watch
