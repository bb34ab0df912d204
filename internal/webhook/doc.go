// Package webhook is the push side of the Oura API: the events Oura sends
// when a user's data changes, their signature (Sign, Verify), the receiver
// that checks and hands them on (Handler), the data types Oura sends
// events for and the collections they name (Collection, DataTypes), and the
// subscription routes that ask Oura to send them (Client, Ensure).
//
// A subscription belongs to the app (its OAuth2 client id and secret), not
// to a user: one subscription delivers the events of every user who
// authorised the app, and an event's UserID (the user's personal_info id)
// says whose data changed. Oura first checks a new subscription's callback
// with a GET carrying the verification token and a challenge, which the
// Handler answers; then it POSTs each event, signed with the client secret
// (x-oura-signature: upper-case hex HMAC-SHA256 of x-oura-timestamp followed
// by the raw body), and retries an answer other than 2xx.
//
// Events are hints, not truth: they can stop for days while the
// subscriptions look active, and the document an event names may not be
// served yet. The Handler never fetches anything; it hands verified events
// to its Accept function, which must keep them durably and return at once.
//
// Nothing here logs or returns a secret, a verification token or a
// signature.
package webhook
