// Package auth keeps a person's Oura OAuth2 login: the authorization code
// flow with PKCE that obtains it (Login), the file that stores it (Store),
// and the token source that keeps it alive across runs without ever
// losing a refresh token (Source).
//
// # Why the care
//
// Oura's refresh tokens are single use: every refresh returns a new
// refresh token and retires the old. A scheduled export that refreshes and
// then crashes before saving, or two overlapping runs that both redeem the
// same refresh token, lose the login, and the job dies at night without
// anyone noticing. So a refresh here is:
//
//  1. take the login's exclusive file lock (<file>.lock: flock on unix,
//     LockFileEx on Windows, an exclusive create elsewhere; the kernel
//     releases the first two when a process dies);
//  2. re-read the login file: if another process refreshed already, use
//     its token and make no request;
//  3. otherwise redeem the refresh token at the token endpoint the login
//     was made with (retrying network errors and 5xx; trying the other of
//     the server's two endpoints when it answers as if it did not know the
//     application: Oura's legacy one answers a developer-portal app's
//     refresh with 400 invalid_request, the portal's a legacy app with 401
//     invalid_client; TokenEndpoints), and remember the one that answered;
//  4. save the new token pair at once, atomically (a 0600 temporary file,
//     fsync, rename, fsync of the folder), before the new access token is
//     used;
//  5. release the lock.
//
// One window cannot be closed: between the server rotating the token and
// step 4 completing (the answer in flight, a few milliseconds of writing),
// a crash or a lost answer loses the login; 'ouraexport auth login' then
// has to be run again. Everything else (a crash at any other moment, any
// number of concurrent runs) leaves the newest token pair on disk.
//
// Access tokens are refreshed ahead of expiry, when less than 5 minutes or
// 10% of their lifetime (whichever is shorter) remain, and when the API
// answers 401. A refresh the server refuses for good (invalid_grant) is
// ErrLoginExpired and matches oura.ErrUnauthorized, so an export stops
// at once instead of retrying every collection.
//
// Tokens appear only in the login file and in Authorization headers and
// token-request bodies: never in URLs, errors, logs or process arguments.
// The client secret is not stored in the login file; it comes from
// $OURA_CLIENT_SECRET or the config file at refresh time.
package auth
