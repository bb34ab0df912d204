// Package oura is the HTTP client of the Oura Cloud API: one GET with
// retries by behaviour (429, 5xx, resets, garbled bodies yes; 400, 401, 403,
// 404, 422 no), full-jitter backoff, Retry-After, a sliding-window rate
// limiter per token that also follows the server's X-RateLimit-* headers,
// one per application shared by all of its tokens' clients (a 429 of the
// application's tier pauses them together, a token's own 429 only that
// token), the token only ever in the Authorization header (refreshed once
// on a 401 through a Refresher), and APIError for answers that will not
// become a success by asking again.
//
// It trusts a server only as far as it must (trust.go): it follows
// redirects only within the server it was given, reads an answer up to
// MaxBody bytes after decompression, and tells a server that is not the
// Oura API (its first answers are 200s that are not the API's) from a
// fault of the API, ending the request at once with a *NotAPIError.
//
// It knows routes and bodies only as paths and bytes: what a collection is,
// and how its pages are read, is the engine's (package exporter). The login
// (package auth) and the engine both sit on it; it imports neither.
package oura
