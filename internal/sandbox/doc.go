// Package sandbox is a local emulator of the Oura Cloud API: v2 (every
// usercollection route and its /v2/sandbox mirror), v1 (retired by Oura,
// kept for historical fidelity) and OAuth2, over deterministic synthetic
// histories of several users. It is the embedded default of
// "ouraexport export --sandbox", the test bed of the engine, v1 import,
// OAuth login and the fault-matrix suite, and a product for developers
// without a ring ("ouraexport sandbox").
//
// It imports nothing else of ouraexport: its truth is its own.
//
// # Use
//
//	s, err := sandbox.New(sandbox.Options{Users: 2, Since: since, Until: until})
//	base, err := s.Start("127.0.0.1:0") // or use s as an http.Handler
//	defer s.Close()
//	// GET base+"/v2/usercollection/sleep?start_date=...", Authorization: Bearer s.Token(1)
//	for doc, err := range s.Documents(1, "sleep", from, to) { ... } // the truth, as served
//
// # Users, tokens and scopes
//
// Users are numbered from 1; user n's static access token is
// "sandbox-token-<n>". Static tokens never expire and have every scope
// unless Options.Scopes restricts them. OAuth issues opaque random tokens
// that expire after Options.TokenTTL. v2 accepts a token only in the
// "Authorization: Bearer" header (a token in the query string is ignored,
// so 401); v1 also accepts the access_token query parameter.
//
// Scopes gate routes (403 without): daily_activity, daily_readiness,
// daily_sleep, sleep, sleep_time, rest_mode_period, ring_battery_level and
// the v1 summaries need "daily"; ring_configuration "daily" or
// "ring_configuration"; heartrate "heartrate"; workout "workout"; tag and
// enhanced_tag "tag"; session "session"; daily_spo2 "spo2" ("spo2Daily" is
// an alias); daily_stress "stress"; daily_resilience,
// daily_cardiovascular_age and vO2_max "heart_health"; daily_cycle_phases
// "reproductive_cycle"; interbeat_interval "interbeat_interval" (a guess:
// Oura serves it to research applications only and names no scope).
// personal_info (and /v1/userinfo) answers any token: its email needs
// "email", age, weight, height and sex need "personal", and are null
// without them. Every scope may be spelled with the "extapi:" prefix of
// Oura's partner integrations (extapi:daily); a grant asked for so is
// answered so. This table is ouraexport's internal/scope too; a test there
// checks the two agree.
//
// # OAuth2
//
// Client "sandbox-client", secret "sandbox-secret". GET /oauth/authorize
// approves at once as user 1 (user n with login_hint=n) and redirects (302)
// to redirect_uri with code and state. It takes scope (space-separated,
// default all) and PKCE (code_challenge, code_challenge_method S256 or
// plain). A bad client_id or redirect_uri is a 400; other errors
// (response_type missing or not "code", unknown scope, bad PKCE
// parameters, bad login_hint) redirect with error= and state. POST
// /oauth/token (client credentials in the form or HTTP Basic; a client that
// used PKCE may omit the secret) grants authorization_code (single use,
// valid 10 minutes, redirect_uri must match, code_verifier checked) and
// refresh_token (single use: each refresh returns a new refresh token and
// retires the old one, which then answers 400 invalid_grant; an optional
// scope may narrow the grant). It answers {"access_token", "token_type":
// "bearer", "expires_in", "refresh_token", "scope"}. GET or POST
// /oauth/revoke with token or access_token forgets a token. The developer
// portal's token endpoint, /oauth/v2/ext/oauth-token, answers like
// /oauth/token; Options.TokenEndpoint makes one of the two refuse the
// client as Oura's do (portal.go).
//
// # Query semantics (v2)
//
// start_date and end_date take dates, date-times (their calendar date) and
// Unix timestamps (as FastAPI/pydantic read them: start_date=1 is
// 1970-01-01, so the recorded "invalid" request answers 200 with no data);
// anything else is 422 with FastAPI's detail list, and start after end is
// 422 "Start date must be before end date". Defaults: end_date = the last
// day of the history (the sandbox's today), start_date = end_date - 1 day.
// Documents are filtered on day (start_day for enhanced_tag and
// rest_mode_period). end_date is inclusive on the daily routes and exclusive
// on daily_activity, sleep and workout, as the recorded responses suggest
// (DefaultDateSemantics; Options.DateSemantics or --date-semantics change it).
//
// heartrate and ring_battery_level take start_datetime and end_datetime
// (ISO 8601 with an offset; without one, UTC; a "+" sent unescaped arrives
// as a space and is a 422), the range [start, end). No dates means the last
// 24 hours of the history; a range longer than Options.MaxWindow (default
// 30 days) is a 400 that says so; latest=true answers the most recent row
// before end_datetime (from start_datetime, or the start of the history).
// fields (comma-separated) keeps only id (timestamp on the time series) and
// the fields listed; the /v2/sandbox mirror ignores it. Unknown parameters
// are ignored; of a repeated parameter the last value counts.
//
// # Pagination
//
// Every list route pages: Options.PageSize documents (default 100) or rows
// (default 10000 on heartrate and ring_battery_level). next_token is an
// opaque URL-safe string that encodes the position of the next page and is
// authenticated and bound to the query (route, user, dates, fields): used
// with another query, or forged, it is a 400. The server keeps no state per
// query. Document routes always carry both "data" and "next_token" (null on
// the last page). A real full-history daily_readiness request once
// returned 2200 documents in one page, so Oura's own page size is larger;
// the defaults keep pagination exercised.
//
// # Errors
//
// v2 answers {"detail": "..."}: 401 "Invalid or expired authentication
// token.", 403 (lapsed membership, missing scope), 404 "Document not
// found." for any unknown, malformed or foreign document id, "Not Found"
// for unknown routes, 405, 400 (next_token, window) and 422
// {"detail":[{"type","loc","msg","input"}]}. v1 answers RFC 7807
// {"status","title","detail"}.
//
// # Behaviours
//
//   - Rate limit: per token, a fixed window that opens with the token's first
//     request (default 5000 requests per 5 minutes). Over it: 429 with
//     Retry-After (seconds) and X-RateLimit-Tier: access_token. Every
//     authenticated answer carries X-RateLimit-Limit, -Remaining, -Window
//     (seconds) and -Reset (Unix seconds). With Options.AppRateLimit, also
//     per application: all tokens of the OAuth client share one window, and
//     a 429 of that limit says X-RateLimit-Tier: application (applimit.go).
//   - Request log: with Options.RecordRequests, Requests returns every
//     request's arrival and answer times, route, status, user, client, a
//     digest of its token and, for a 429, its tier and Retry-After.
//   - Drift: Options.ExtraFields adds fields no model has to every
//     document and row; Options.ExtraCollections serves collections no
//     spec has (drift.go).
//   - Latency: Options.Latency before each answer, cut short when the client
//     goes away.
//   - Faults: with probability FaultRate a data request (v2, mirror, v1; OAuth
//     only with FaultOAuth; never the control routes) gets one fault drawn
//     from Faults (default 500, 502, 503, reset, truncate): 500 (JSON), 502
//     (a proxy's HTML page), 503 (JSON or HTML, Retry-After: 1), reset (the
//     connection closed without an answer), truncate (the full
//     Content-Length, half the body, then close), slow (the answer after
//     SlowDelay, default 60s, interruptible), html (200 with an HTML page),
//     malformed (200 with half a JSON body), loop (a next_token back to the
//     first page), duplicate (the next page repeats the last three records),
//     wrongtype (a number served as a string). The draws come from a stream
//     seeded by Seed, so a sequential client sees the same faults each run.
//   - Lapsed: 403 on every v2 usercollection route, personal_info included.
//   - V1Retired: 404 on every /v1 route.
//   - gzip when the client sends Accept-Encoding: gzip (bodies from 1 KiB),
//     unless NoGzip.
//
// # Control routes
//
// Outside Oura's namespace, for tests that run the sandbox as a process
// (no token, never faulted or rate-limited): POST /_sandbox/advance?days=N
// (Advance), POST /_sandbox/revise?user=N&day=YYYY-MM-DD (Revise), POST
// /_sandbox/delete?user=N&collection=C&id=ID or &day=DATE (Delete, DeleteDay:
// the first document of that day), GET /_sandbox/stats (Stats as JSON), GET
// /_sandbox/info, GET /_sandbox/webhook (Webhooks as JSON) and POST
// /_sandbox/webhook?lost=N&lost_for=DUR&late=DUR&naive=BOOL&ttl=DUR (the
// webhook faults). advance, revise and delete answer with the changes they
// made ({"changes":[{"event_type","collection","data_type","object_id",
// "user","day"}],"changes_total":N}, at most 5000 listed).
//
// # Webhooks
//
// The subscription routes of API-NOTES 2.4 (/v2/webhook/subscription, /{id},
// /renew/{id}) take the OAuth client's x-client-id and x-client-secret
// (else 403 {"detail":"Forbidden"}; an unknown id is 403 "Webhook with
// specified id does not exist."; a bad body is a 422 HTTPValidationError).
// A create first sends GET <callback>?verification_token=T&challenge=C and
// needs {"challenge": C} back (else 422). Subscriptions belong to the app
// and deliver every user's events; expiration_time is now + WebhookTTL
// (default 90 days), RFC 3339 with Z, or offset-less with
// WebhookNaiveExpiry; an expired one delivers nothing until renewed.
//
// Each document advance creates (or updates: a rest mode period that ended),
// revise updates or delete deletes is an event: WebhookDelay (default 1s)
// later every live subscription with its event_type and data_type gets a
// POST of {"event_type", "data_type", "object_id", "event_time", "user_id"}
// (user_id: the personal_info id; written with Python's ", " and ": "
// separators) with x-oura-timestamp (Unix seconds) and x-oura-signature
// (upper-case hex HMAC-SHA256 of timestamp + raw body, keyed with the client
// secret). Anything but 2xx, or no answer within WebhookTimeout (default
// 10s), is retried after WebhookRetryBase (5s), doubling, WebhookTries (10)
// tries in all; 410 deletes the subscription. Data types: the collections
// Oura's ExtApiV2DataType names (vo2_max is the vO2_max route) and
// daily_cycle_phases; none for heartrate, ring_battery_level, personal_info
// (so the rows of new days, and a revised day's heart rate and interbeat
// intervals, change without an event: clients poll them).
// Deleted documents stay deleted (list, by id, Documents). Faults: lost
// events (WebhookLost, WebhookLostFor: deliveries silently not sent), late
// documents (WebhookLate: a created or updated document is 404 and unlisted
// until that long after its event) and the naive expiry.
//
// # The synthetic truth
//
// One truth per (seed, user), a pure function of (seed, user, day,
// revision): every random draw comes from a small stream keyed by those
// values, so any day is produced without its predecessors, nothing is
// precomputed, and memory does not grow with the history (a request, or a
// Documents walk, keeps at most 64 days in reach). The structure of a day
// (which sleep periods, workouts, sessions, wear gaps and charges happen
// when, hence which documents and ids exist) never depends on the revision;
// Revise redraws the values (phases, heart rates, steps, temperatures) of
// one day, and rolling contributors of other days are computed from
// original values, so only that day's documents change.
//
// Each user has a home IANA time zone (user n gets the nth of a fixed list:
// Europe/Helsinki, America/Los_Angeles, Asia/Kolkata, ...; time zone data is
// embedded), so daylight saving time moves the offsets, and trips of a few
// days to other zones. Day d owns the instants from 18:00 on d-1 to 18:00 on
// d, local; these windows tile time across zone changes, so the wear
// timeline is a pure function of the instant. Local timestamps carry the
// offset of that instant; heartrate and ring_battery_level are UTC
// (+00:00); sample timestamps have milliseconds; daily_sleep and
// daily_readiness timestamps are midnight +00:00, as recorded.
//
// A night is a long_sleep ending on its day (the wake-up day), some days
// also a nap ("sleep"), a late_nap on the evening before, a "rest" or a
// "deleted" period. Hypnograms are drawn in 5-minute blocks (90-minute
// cycles, deep early, REM late); the 30-second string differs from their
// expansion only by swaps between blocks, so the deep, light, REM and awake
// durations are exactly the counts of either string times 30 s or 300 s.
// Heart rate and HRV samples (interval 300) have gaps (null). Scores are
// weighted means of contributors computed from the data (sleep: total 35%,
// restfulness 15%, the rest 10% each; activity: Oura's v1 weights;
// readiness: the weighted mean of the known contributors, over two weeks of
// nights and days). Activity days start at 04:00 local: 288 five-minute
// classes drawn from the wear timeline and 1440 one-minute METs inside each
// class's range, so times (300 s per class character), MET-minutes (the sum
// of the class's METs) and calories agree with the strings. Heart rate is
// sampled every 5 minutes while worn (awake, rest, sleep: the sleep
// document's own items), every 10 s in workouts, every 5 s in sessions (the
// session's items), every 2 s in a live check, never off the finger. The
// battery drains between charges (one day in four) and fills while
// charging. Some days the ring is not worn at all (no sleep, no heart rate,
// activity all '0', score null, and the next night is lost too). Each user
// has two rings (an old one set up at the history start or on
// 1970-01-01, a newer one 60% into the history); sleep documents name the
// ring worn. Every field of every model is written, null where unknown.
//
// The v1 view is projected from the same truth: /v1/sleep has one record per
// counted period with summary_date = v2 day - 1, the same bedtimes,
// durations (seconds) and hypnogram, hr_5min/rmssd_5min with 0 for gaps, and
// the daily_sleep scores on the longest period; /v1/activity has minutes
// where v2 has seconds; /v1/readiness one record per long sleep
// (summary_date = day - 1, 0 for unknown scores); /v1/bedtime the
// sleep_time windows; /v1/userinfo weight in kg and height in cm. start and
// end are inclusive (default: a week ago to today), without pagination.
package sandbox
